/**
 * What a release from quarantine accepts. An approver who releases a batch has read its report:
 * the checks that failed then. On a re-run the tainted-data findings among those failures stay in
 * the report as warnings naming who accepted them; any other failure still fails: a check that did
 * not fail when the batch was reviewed (say the champion changed since), because nobody has looked
 * at it, and a schema, range or other data-quality failure, because a release is a judgement about
 * suspicious labels, not a way round a broken batch (fix the data, or change the schema with pins or
 * `schema.update`). Pure.
 */
import type { ValidationCheckName } from '../pipeline/step-params';
import { checkLabel, type CheckResult } from './check-result';

/** The checks a release can accept: statistical suspicions about labels that a person can judge. */
export const RELEASABLE_CHECKS: ReadonlySet<ValidationCheckName> = new Set(['labelConsistency', 'confidentDisagreement', 'triggerPatterns', 'labelSourceSpikes', 'labelSourceBoundary']);

export interface Release {
  by: string;
  at: string;
  reason: string;
  /**
   * What failed when the batch was quarantined, by {@link releaseKey}: e.g. `labelConsistency(origin) [origin = ORD]`,
   * or `labelConsistency(label)` for a check about the whole batch.
   */
  accepted: readonly string[];
}

/** A failed check as a release names it: its label, and the slice, value or class it is about. */
export function releaseKey(c: CheckResult): string {
  return c.subject ? `${checkLabel(c)} [${c.subject}]` : checkLabel(c);
}

export function acceptReleased(checks: CheckResult[], release: Release | undefined): CheckResult[] {
  if (!release) return checks;
  const accepted = new Set(release.accepted);
  return checks.map((c) => {
    if (c.status !== 'fail') return c;
    if (!RELEASABLE_CHECKS.has(c.check)) return { ...c, message: `${c.message} [not covered by the release by ${release.by}: a release accepts only tainted-data findings (${[...RELEASABLE_CHECKS].join(', ')}); fix the data or the schema]` };
    if (accepted.has(releaseKey(c))) return { ...c, status: 'warn', message: `${c.message} [accepted: batch released by ${release.by}: ${release.reason}]` };
    return { ...c, message: `${c.message} [not covered by the release by ${release.by}: this check did not fail when the batch was reviewed]` };
  });
}
