/**
 * The one grammar for lengths of time in specs, policies and schedules: a number, optional
 * spaces, and a unit (`500ms`, `30s`, `10 minutes`, `12h`, `7 days`, `2 weeks`).
 *
 * Pure and dependency-free so the workflow bundle may import it; the zod schema that
 * validates spec fields with it lives in `duration-schema.ts` (zod must stay out of the bundle).
 * Months and years are refused on purpose: their length varies, and a silent guess is how
 * `"6 months"` once became six minutes.
 */

/** Milliseconds per unit, each unit under every name it is accepted by. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/** The units, longest name first so a regular expression alternation never stops at a prefix. */
export const DURATION_UNITS: readonly string[] = Object.keys(UNIT_MS).sort((a, b) => b.length - a.length);

/** One line users can act on, listing every accepted form. */
export const ACCEPTED_DURATION_FORMS =
  'a number and a unit: ms, s (sec, seconds), m (min, minutes), h (hr, hours), d (days) or w (weeks), e.g. "500ms", "30s", "10 minutes", "12h", "7 days", "2 weeks"';

/** The grammar as a JSON-Schema-friendly pattern (no flags), for `pattern` in generated schemas. */
export const DURATION_PATTERN = `^\\s*\\d+(\\.\\d+)?\\s*(${DURATION_UNITS.join('|')})\\s*$`;

const GRAMMAR = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/;
// Units are lowercase only, so the JSON Schema pattern (which has no flags) is the whole grammar.

/** A text that is not a duration in the grammar above; the message names the text and the accepted forms. */
export class DurationSyntaxError extends RangeError {
  override readonly name = 'DurationSyntaxError';
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(text)} is not a duration: ${reason}; expected ${ACCEPTED_DURATION_FORMS}`);
  }
}

/** Why `text` is not a duration, or undefined when it is one. */
export function durationProblem(text: string): string | undefined {
  const match = GRAMMAR.exec(text);
  if (!match) return 'expected a number followed by a unit';
  const unit = match[2];
  if (unit === '') return 'the unit is missing';
  if (/^(mo|mos|mon|month|months|y|yr|yrs|year|years)$/.test(unit)) {
    return `"${match[2]}" varies in length and is not accepted (write days or weeks, e.g. "26 weeks")`;
  }
  if (!Object.hasOwn(UNIT_MS, unit)) return `unknown unit "${unit}" (units are lowercase)`;
  return undefined;
}

/** Milliseconds of a duration such as `30s`, `10 minutes` or `2 weeks`; throws {@link DurationSyntaxError} otherwise. */
export function toMs(text: string): number {
  const problem = durationProblem(text);
  if (problem !== undefined) throw new DurationSyntaxError(text, problem);
  const [, amount, unit] = GRAMMAR.exec(text)!;
  return Math.round(Number(amount) * UNIT_MS[unit]);
}
