/**
 * What of a workflow input may be stored where others read it (audit details, logs): everything
 * but values that may be secrets. `env` values of command trainers and the run ticket are
 * replaced by `[redacted]`; their names stay, so the record still says what was set.
 */
const REDACTED = '[redacted]';

/** The input without its `ticket` (the signed claim the client adds). */
export function withoutTicket(input: Record<string, unknown>): Record<string, unknown> {
  const { ticket: _ticket, ...rest } = input;
  return rest;
}

/** A copy of `input` with every `env` map's values and the ticket redacted. */
export function redactInput(input: Record<string, unknown>): Record<string, unknown> {
  const out = redact(input) as Record<string, unknown>;
  if ('ticket' in out) out.ticket = REDACTED;
  return out;
}

function redact(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (typeof value !== 'object' || value === null) return value;
  if (key === 'env') return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
}
