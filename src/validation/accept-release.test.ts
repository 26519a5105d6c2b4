import { describe, expect, it } from 'vitest';
import { acceptReleased, releaseKey } from './accept-release';
import type { CheckResult } from './check-result';

const failed = (check: string, column?: string): CheckResult => ({ check, ...(column ? { column } : {}), status: 'fail', severity: 'fail', observed: 1, threshold: '-', message: `${check} failed` }) as CheckResult;
const release = { by: 'approver:ana', at: '2026-12-06T10:00:00Z', reason: 'confirmed with the data owner', accepted: ['labelConsistency(origin)'] };

describe('a release from quarantine', () => {
  it('turns the failures the approver reviewed into warnings naming who accepted them', () => {
    const [c] = acceptReleased([failed('labelConsistency', 'origin')], release);
    expect(c.status).toBe('warn');
    expect(c.message).toContain('accepted: batch released by approver:ana: confirmed with the data owner');
  });

  it('leaves a failure the approver never saw failing, and says why', () => {
    const out = acceptReleased([failed('labelConsistency', 'origin'), failed('nullRate', 'distance'), failed('labelConsistency', 'hour')], release);
    expect(out.map((c) => c.status)).toEqual(['warn', 'fail', 'fail']);
    expect(out[1].message).toContain('not covered by the release');
  });

  it('never accepts a schema, range or data-quality failure, even one the approver reviewed', () => {
    const reviewed = { ...release, accepted: ['labelConsistency(origin)', 'numericRange(distance)', 'duplicateRows'] };
    const out = acceptReleased([failed('labelConsistency', 'origin'), failed('numericRange', 'distance'), failed('duplicateRows')], reviewed);
    expect(out.map((c) => c.status)).toEqual(['warn', 'fail', 'fail']);
    expect(out[1].message).toContain('a release accepts only tainted-data findings (labelConsistency, confidentDisagreement, triggerPatterns, labelSourceSpikes, labelSourceBoundary); fix the data or the schema');
  });

  it('changes nothing without a release', () => {
    const checks = [failed('triggerPatterns', 'distance')];
    expect(acceptReleased(checks, undefined)).toBe(checks);
  });

  it('accepts finding by finding: a release of one class or slice does not excuse another of the same column', () => {
    const about = (subject: string): CheckResult => ({ ...failed('labelConsistency', 'weather'), subject });
    const reviewed = { ...release, accepted: [releaseKey(about('class fog'))] };
    expect(reviewed.accepted).toEqual(['labelConsistency(weather) [class fog]']);
    const out = acceptReleased([about('class fog'), about('class snow'), failed('labelConsistency', 'weather')], reviewed);
    expect(out.map((c) => c.status)).toEqual(['warn', 'fail', 'fail']);
    expect(out[1].message).toContain('this check did not fail when the batch was reviewed');
  });
});
