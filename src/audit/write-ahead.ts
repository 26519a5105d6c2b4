/**
 * Write-ahead auditing of actions on Temporal (start, cancel, approve, reject, schedule changes,
 * rollback): an intent entry is appended before the call and an outcome entry after it, linked by
 * `details.intentSeq`. A process that dies between the two leaves the intent: the log then says
 * who tried what, and Temporal's history says whether it happened. An audit log that cannot be
 * written stops the action before it reaches Temporal.
 *
 * Both entries carry the action's own name (`run.start`, ...), so a query by action finds the
 * attempt and its result; `details.phase` tells them apart (`intent` | `outcome`).
 */
import type { AuditEntry, AuditEntryInput, AuditLog } from './audit-log';

/** What the caller audits; the appender adds actor and origin. */
export type AuditedAction = Omit<AuditEntryInput, 'actor' | 'origin'>;

/** Appends an entry with the caller's actor and origin (e.g. `auditRequest` bound to a request). */
export type AuditAppender = (entry: AuditedAction) => Promise<AuditEntry>;

/** Longest error message kept in a failed outcome. */
const MAX_ERROR = 500;

/**
 * Runs `call` between an intent and an outcome entry. A failed call records `outcome: "failed"`
 * with the error's name and message, then rethrows the call's error (an outcome that cannot be
 * written then does not hide it: the intent is already durable).
 * @param outcomeDetails facts known only after the call (run id, state), merged into the outcome.
 */
export async function writeAhead<T>(
  append: AuditAppender,
  action: AuditedAction,
  call: () => Promise<T>,
  outcomeDetails: (result: T) => Record<string, unknown> = () => ({}),
): Promise<T> {
  const intent = await append({ ...action, details: { ...action.details, phase: 'intent' } });
  const outcome = (details: Record<string, unknown>) =>
    append({ action: action.action, target: action.target, reason: action.reason, details: { phase: 'outcome', intentSeq: intent.seq, ...details } });
  let result: T;
  try {
    result = await call();
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    await outcome({ outcome: 'failed', error: error.slice(0, MAX_ERROR) }).catch(() => undefined);
    throw err;
  }
  await outcome({ outcome: 'succeeded', ...outcomeDetails(result) });
  return result;
}

/** An appender for a fixed actor and origin (the CLI: the principal and `cli`). */
export function appenderFor(log: Pick<AuditLog, 'append'>, actor: string, origin: string): AuditAppender {
  return (entry) => log.append({ ...entry, actor, origin });
}
