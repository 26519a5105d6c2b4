/**
 * The zod side of the duration grammar (`duration.ts` holds the grammar itself, free of zod
 * so the workflow bundle can use it). Values stay strings on the wire: specs and histories
 * record what the user wrote, and consumers convert with `toMs`.
 */
import { z } from 'zod';
import { ACCEPTED_DURATION_FORMS, DURATION_PATTERN, durationProblem, toMs } from './duration';

const META = { pattern: DURATION_PATTERN, description: 'A duration: a number and a unit (ms, s, m, h, d, w), e.g. "30s", "10 minutes", "7 days".' };

/** A duration longer than zero, e.g. `"10 minutes"`; a bad one is refused with the accepted forms. */
export const durationSchema = durationWithin({});

/**
 * A duration longer than zero and within `min`..`max` (both inclusive, both durations themselves), for
 * fields where a slip of the unit does harm: `1m` meant as a month is a minute.
 */
export function durationWithin(bounds: { min?: string; max?: string }) {
  return z
    .string()
    .superRefine((text, ctx) => {
      const problem = durationProblem(text);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is not a duration: ${problem}; expected ${ACCEPTED_DURATION_FORMS}` });
        return;
      }
      const ms = toMs(text);
      if (ms <= 0) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)}: a duration must be longer than zero` });
      else if (bounds.min !== undefined && ms < toMs(bounds.min)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is shorter than the shortest allowed, ${bounds.min}` });
      else if (bounds.max !== undefined && ms > toMs(bounds.max)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is longer than the longest allowed, ${bounds.max}` });
    })
    .meta(META);
}
