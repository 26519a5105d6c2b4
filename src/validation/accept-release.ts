/**
 * What a release from quarantine accepts. An approver who releases a batch has read its report:
 * the checks that failed then. On a re-run those failures stay in the report as warnings naming
 * who accepted them; any other failure (a check that did not fail when the batch was reviewed,
 * say because the champion changed since) still fails, because nobody has looked at it. Pure.
 */
import { checkLabel, type CheckResult } from './check-result';

export interface Release {
  by: string;
  at: string;
  reason: string;
  /** Labels of the checks that failed when the batch was quarantined, e.g. `labelConsistency(origin)`. */
  accepted: readonly string[];
}

export function acceptReleased(checks: CheckResult[], release: Release | undefined): CheckResult[] {
  if (!release) return checks;
  const accepted = new Set(release.accepted);
  return checks.map((c) => {
    if (c.status !== 'fail') return c;
    if (accepted.has(checkLabel(c))) return { ...c, status: 'warn', message: `${c.message} [accepted: batch released by ${release.by}: ${release.reason}]` };
    return { ...c, message: `${c.message} [not covered by the release by ${release.by}: this check did not fail when the batch was reviewed]` };
  });
}
