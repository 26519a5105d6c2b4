/** The canary's checks for multiclass and regression models, inside the step analysis and the sequential hold. */
import { describe, expect, it } from 'vitest';
import { canaryAnalysisSchema } from '../pipeline/step-params';
import { valueBin, VALUE_BINS } from '../serving/histogram';
import { analyseStep, type AnalysisInput, type VersionWindow } from './analysis';
import { holdPlan, lookAtStep } from './sequential-hold';

const thresholds = canaryAnalysisSchema.parse({ minRequests: 50, minLabels: 100 });
const spread = (n: number) => Array.from({ length: 20 }, (_, i) => Math.round((n * (i < 10 ? 1 : 3)) / 40));
/** 20-bin histogram of `n` probabilities around `centre` (bins centre−1..centre+1). */
const around = (n: number, centre: number) => Array.from({ length: 20 }, (_, i) => (Math.abs(i - centre) <= 1 ? Math.round(n / 3) : 0));
/** Value histogram of `n` predictions spread evenly over [lo, hi]. */
function values(n: number, lo: number, hi: number): number[] {
  const h = new Array<number>(VALUE_BINS).fill(0);
  for (let i = 0; i < n; i++) h[valueBin(lo + ((hi - lo) * (i + 0.5)) / n)]++;
  return h;
}

const base: VersionWindow = { version: 1, requests: 400, errors: 0, errorRate: 0, p99Ms: 4, p90Ms: 3, p50Ms: 1, scoreCounts: spread(400), labels: 300, positives: 0, auc: null, accuracy: 0.7 };
const multiclass = (over: Partial<VersionWindow> = {}): VersionWindow => ({ ...base, task: 'multiclass', classScoreCounts: [around(400, 3), around(400, 10), around(400, 15)], logLoss: 0.8, logLossSd: 0.6, ...over });
const regression = (over: Partial<VersionWindow> = {}): VersionWindow => ({ ...base, accuracy: null, task: 'regression', valueCounts: values(400, 5, 30), rmse: 3, mae: 2.4, ...over });

function input(canary: VersionWindow, champion: VersionWindow, over: Partial<AnalysisInput> = {}): AnalysisInput {
  const c = { ...canary, version: 2 };
  return {
    measurement: { from: 'a', to: 'b', serverStartedAt: 's1', step: { champion, canary: c }, cumulative: { champion, canary: c } },
    thresholds,
    serverStartedAtStepStart: 's1',
    weight: 25,
    lastStep: false,
    taskChecks: true,
    ...over,
  };
}
const verdicts = (r: ReturnType<typeof analyseStep>) => Object.fromEntries(r.checks.map((c) => [c.name, c.verdict]));
const check = (r: ReturnType<typeof analyseStep>, name: string) => r.checks.find((c) => c.name === name)!;

describe('multiclass canary', () => {
  it('passes a canary whose class probabilities, log loss and accuracy match the champion’s', () => {
    const r = analyseStep(input(multiclass(), multiclass()));
    expect(verdicts(r)).toMatchObject({ scoreShift: 'pass', liveLogLoss: 'pass', liveAccuracy: 'pass' });
    expect(r.verdict).toBe('pass');
  });

  it('fails on a shift of one class’s probability, naming the worst class', () => {
    const shifted = multiclass({ classScoreCounts: [around(400, 3), around(400, 4), around(400, 15)] });
    const r = analyseStep(input(shifted, multiclass()));
    expect(check(r, 'scoreShift')).toMatchObject({ verdict: 'fail' });
    expect(check(r, 'scoreShift').message).toMatch(/largest for class #1: .*; 1 of 3 classes over their limit/);
  });

  it('fails on a log loss worse than the champion’s beyond the allowance and sampling error, and not on a small rise', () => {
    expect(check(analyseStep(input(multiclass({ logLoss: 1.2 }), multiclass())), 'liveLogLoss').verdict).toBe('fail');
    // +0.08 with SE ≈ 0.049: within 0.05 + 1.645·SE.
    expect(check(analyseStep(input(multiclass({ logLoss: 0.88 }), multiclass())), 'liveLogLoss').verdict).toBe('pass');
  });

  it('waits for labels, and is inconclusive on the last step without them', () => {
    const few = multiclass({ labels: 20 });
    expect(check(analyseStep(input(few, few)), 'liveLogLoss').verdict).toBe('pending');
    expect(analyseStep(input(few, few, { lastStep: true })).verdict).toBe('inconclusive');
  });

  it('judges it as binary (its AUC check pending) when replaying a canary recorded before task checks', () => {
    const r = analyseStep(input(multiclass({ logLoss: 5 }), multiclass(), { taskChecks: false }));
    expect(r.checks.map((c) => c.name)).not.toContain('liveLogLoss');
  });

  it('holds a sequential step whose log loss is estimated beyond the margin until the interval decides', () => {
    // +0.3 nats on 100 labels each (SE ≈ 0.085): not harm beyond 0.05 with always-valid confidence yet.
    const plan = holdPlan(10_000, { alpha: 0.05 });
    const few = { labels: 100 };
    const held = lookAtStep(input(multiclass({ logLoss: 1.1, ...few }), multiclass(few), { passWithinMargin: true, lastStep: true }), plan, 10_000, 1);
    expect(held.decided).toBe(false);
    expect(check(held.analysis, 'liveLogLoss')).toMatchObject({ verdict: 'inconclusive', message: expect.stringMatching(/worsening 0\.300 in \[-?0\.\d+, 0\.\d+\] always-valid\); the estimate is beyond the margin/) });
    // Canaries recorded before the rule passed it; with more labels the interval shows the harm.
    expect(lookAtStep(input(multiclass({ logLoss: 1.1, ...few }), multiclass(few)), plan, 10_000, 1).analysis.verdict).toBe('pass');
    const more = { labels: 600 };
    expect(lookAtStep(input(multiclass({ logLoss: 1.1, ...more }), multiclass(more), { passWithinMargin: true, lastStep: true }), plan, 60_000, 6).analysis.verdict).toBe('fail');
    // A small rise within the margin passes on the minimum sample.
    expect(lookAtStep(input(multiclass({ logLoss: 0.83, ...few }), multiclass(few), { passWithinMargin: true, lastStep: true }), plan, 10_000, 1).analysis.verdict).toBe('pass');
  });

  it('fails a clearly worse canary at the first sequential look, with always-valid evidence', () => {
    const look = lookAtStep(input(multiclass({ logLoss: 1.6, labels: 400 }), multiclass({ labels: 400 })), holdPlan(10_000, { alpha: 0.05 }), 10_000, 1);
    expect(look).toMatchObject({ decided: true, analysis: { verdict: 'fail' } });
    expect(look.analysis.checks.filter((c) => c.name === 'liveLogLoss')).toHaveLength(1);
    expect(check(look.analysis, 'liveLogLoss').evidence!.lower).toBeGreaterThan(0.05);
  });
});

describe('regression canary', () => {
  it('passes a canary predicting the same values with the same errors', () => {
    const r = analyseStep(input(regression(), regression()));
    expect(verdicts(r)).toMatchObject({ scoreShift: 'pass', liveMae: 'pass' });
    expect(check(r, 'scoreShift').message).toMatch(/predicted-value PSI 0.000 against the champion over (9|10) bins at its quantiles/);
  });

  it('fails on predicted values shifted against the champion’s', () => {
    const r = analyseStep(input(regression({ valueCounts: values(400, 15, 40) }), regression()));
    expect(check(r, 'scoreShift').verdict).toBe('fail');
  });

  it('fails on an MAE well above the champion’s, not on one within the allowed 10% and sampling error', () => {
    expect(check(analyseStep(input(regression({ mae: 3.4, rmse: 4.2 }), regression())), 'liveMae').verdict).toBe('fail');
    expect(check(analyseStep(input(regression({ mae: 2.6, rmse: 3.2 }), regression())), 'liveMae').verdict).toBe('pass');
  });
});
