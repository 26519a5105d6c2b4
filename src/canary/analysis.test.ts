import { describe, expect, it } from 'vitest';
import { analyseStep, aucStandardError, baselineFor, scoreShift, type AnalysisInput, type VersionWindow } from './analysis';
import { holdPlan, lookAtStep } from './sequential-hold';
import { analysisInput, spread, thresholds, versionWindow } from '../../test/support/canary-analysis-fixtures';

const version = versionWindow;
const input = analysisInput;

const check = (r: ReturnType<typeof analyseStep>, name: string) => r.checks.find((c) => c.name === name)!;

describe('canary step analysis', () => {
  it('passes a canary that matches the champion on every figure', () => {
    const r = analyseStep(input({}));
    expect(r.verdict).toBe('pass');
    expect(r.checks.map((c) => [c.name, c.verdict])).toEqual([
      ['serverContinuity', 'pass'],
      ['samples', 'pass'],
      ['errorRate', 'pass'],
      ['latencyP99', 'pass'],
      ['scoreShift', 'pass'],
      ['liveAuc', 'pass'],
      ['liveAccuracy', 'pass'],
    ]);
  });

  it('is inconclusive, never a pass, with too few canary requests', () => {
    const r = analyseStep(input({ requests: 10, scoreCounts: spread(10) }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.reasons).toEqual(['samples: only 10 canary requests in this step, 50 needed: not enough traffic to judge']);
  });

  it('fails on an error rate above the champion by more than the allowed increase', () => {
    const r = analyseStep(input({ errors: 12, errorRate: 0.03 }, { errors: 4, errorRate: 0.01 }));
    expect(r.verdict).toBe('fail');
    expect(check(r, 'errorRate')).toMatchObject({ verdict: 'fail', canary: 0.03, baseline: 0.01, limit: 0.02 });
  });

  it('judges p90 instead of p99 while either side has fewer than 200 requests', () => {
    const r = analyseStep(input({ requests: 100, scoreCounts: spread(100), p99Ms: 40, p90Ms: 3, p50Ms: 1 }));
    expect(check(r, 'latencyP99')).toMatchObject({ verdict: 'pass', canary: 3, baseline: 3 });
    expect(check(r, 'latencyP99').message).toMatch(/^p90 latency .*p99 needs 200 requests/);
  });

  it('fails on a slower model (tail and median over their limits), not on scheduling noise in the tail alone', () => {
    expect(check(analyseStep(input({ p99Ms: 11.5, p50Ms: 1 }, { p99Ms: 2, p50Ms: 1 })), 'latencyP99')).toMatchObject({ verdict: 'pass', limit: 12 });
    expect(check(analyseStep(input({ p99Ms: 80, p50Ms: 1 }, { p99Ms: 20, p50Ms: 1 })), 'latencyP99').verdict).toBe('pass');
    expect(check(analyseStep(input({ p99Ms: 80, p50Ms: 25 }, { p99Ms: 20, p50Ms: 5 })), 'latencyP99')).toMatchObject({ verdict: 'fail', limit: 40 });
  });

  it('fails on a collapsed score distribution; its PSI allowance shrinks as traffic grows', () => {
    const collapsed = Array.from({ length: 20 }, (_, i) => (i === 4 ? 400 : 0));
    expect(check(analyseStep(input({ scoreCounts: collapsed })), 'scoreShift').verdict).toBe('fail');
    const small = scoreShift(spread(50), spread(50), 0.25)!;
    const large = scoreShift(spread(5000), spread(5000), 0.25)!;
    expect(small.limit).toBeGreaterThan(large.limit);
    expect(large.limit).toBeCloseTo(0.25, 2);
  });

  it('compares with the champion figures of an earlier step when the champion got no traffic (100%), except latency', () => {
    const previousBaseline = { errorRate: 0.001, scoreCounts: spread(400), measuredAtWeight: 50 };
    const collapsed = Array.from({ length: 20 }, (_, i) => (i === 4 ? 400 : 0));
    const idle = { requests: 0, errorRate: null, p99Ms: null, p90Ms: null, p50Ms: null, scoreCounts: new Array(20).fill(0) };
    const r = analyseStep(input({ p99Ms: 30, scoreCounts: collapsed }, idle, { previousBaseline, weight: 100 }));
    expect(check(r, 'scoreShift').verdict).toBe('fail');
    expect(check(r, 'errorRate')).toMatchObject({ verdict: 'pass', baseline: 0.001 });
    // Latency varies with the machine's load: only traffic served at the same time compares.
    expect(check(r, 'latencyP99').verdict).toBe('skipped');
  });

  describe('the last step, where the champion serves nothing', () => {
    // Time-ordered traffic: the champion's scores were read at 50% an hour earlier; since then the
    // flights moved into the evening and every model scores them higher (mass in the upper bins).
    const earlier = spread(400);
    const evening = Array.from({ length: 20 }, (_, i) => (i < 14 ? 2 : 62));
    const idle = { requests: 0, errorRate: null, p99Ms: null, p90Ms: null, p50Ms: null, scoreCounts: new Array(20).fill(0) };
    const judgedAt50 = { errorRate: 0.001, scoreCounts: earlier, measuredAtWeight: 50, shiftJudged: true };
    const last = (over: Partial<AnalysisInput>) => input({ scoreCounts: evening }, idle, { weight: 100, lastStep: true, concurrentScoreShift: true, ...over });

    it('does not judge the score shift against stale champion scores once it was judged on concurrent traffic', () => {
      expect(scoreShift(earlier, evening, thresholds.maxPsi)!.psi).toBeGreaterThan(scoreShift(earlier, evening, thresholds.maxPsi)!.limit);
      const r = analyseStep(last({ previousBaseline: judgedAt50 }));
      expect(check(r, 'scoreShift')).toMatchObject({ verdict: 'skipped', canary: null });
      expect(check(r, 'scoreShift').message).toMatch(/judged only against concurrent champion traffic.*50% step \(PSI \d/);
      expect(r.verdict).toBe('pass');
      // The error rate still compares with the champion's earlier rate.
      expect(check(r, 'errorRate')).toMatchObject({ verdict: 'pass', baseline: 0.001 });
    });

    it('passes a sequential hold that stays open for labels while the traffic drifts', () => {
      const plan = holdPlan(5000, { alpha: 0.05 });
      const looks = [1, 2, 3].map((k) => lookAtStep(last({ previousBaseline: judgedAt50 }), plan, k * 5000, k));
      expect(looks.map((l) => [l.decided, l.analysis.verdict])).toEqual([[true, 'pass'], [true, 'pass'], [true, 'pass']]);
    });

    it('still compares with the earlier scores when no step judged the shift concurrently, and in runs recorded before the rule', () => {
      const notJudged = { ...judgedAt50, shiftJudged: false };
      expect(check(analyseStep(last({ previousBaseline: notJudged })), 'scoreShift').verdict).toBe('fail');
      expect(check(analyseStep(last({ previousBaseline: judgedAt50, concurrentScoreShift: undefined })), 'scoreShift').verdict).toBe('fail');
    });

    it('records whether the step judged the shift: the champion and the canary both had their minimum sample', () => {
      expect(baselineFor(input({}, {}, { weight: 50 }))).toMatchObject({ measuredAtWeight: 50, shiftJudged: true });
      expect(baselineFor(input({ requests: 10, scoreCounts: spread(10) }, {}, { weight: 10 }))).toMatchObject({ shiftJudged: false });
      expect(baselineFor(input({ requests: 10, scoreCounts: spread(10) }, {}, { weight: 25, previousBaseline: judgedAt50 }))).toMatchObject({ measuredAtWeight: 25, shiftJudged: true });
      expect(baselineFor(last({ previousBaseline: judgedAt50 }))).toBe(judgedAt50);
    });
  });

  it('leaves live quality pending before the last step and inconclusive at it when labels are required', () => {
    expect(analyseStep(input({ labels: 20 })).verdict).toBe('pass');
    expect(check(analyseStep(input({ labels: 20 })), 'liveAuc').verdict).toBe('pending');
    expect(analyseStep(input({ labels: 20 }, {}, { lastStep: true })).verdict).toBe('inconclusive');
  });

  it('fails live AUC only when the drop beyond the allowed one exceeds sampling noise', () => {
    expect(check(analyseStep(input({ auc: 0.62 })), 'liveAuc').verdict).toBe('pass');
    expect(check(analyseStep(input({ auc: 0.62, labels: 20_000, positives: 4000 }, { labels: 20_000, positives: 4000 })), 'liveAuc').verdict).toBe('fail');
    expect(aucStandardError({ auc: 0.7, labels: 300, positives: 60 })).toBeGreaterThan(aucStandardError({ auc: 0.7, labels: 30_000, positives: 6000 }));
  });

  it('is inconclusive when the server restarted during the step, since its stats were lost', () => {
    const r = analyseStep(input({}, {}, { serverStartedAtStepStart: 's0' }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.reasons[0]).toMatch(/^serverContinuity: the model server restarted/);
  });
});
