import { describe, expect, it } from 'vitest';
import type { AnalysisInput, VersionWindow } from './analysis';
import { confidenceSequence, sideOfMargin } from './confidence-sequence';
import { holdPlan, lookAtStep, nextWaitMs } from './sequential-hold';
import { mulberry32 } from '../training/logistic-regression';
import { analysisInput, spread, thresholds, versionWindow } from '../../test/support/canary-analysis-fixtures';

const plan = holdPlan(5000, { maxMs: 30_000, alpha: 0.05 });
const version = versionWindow;
/** A step at 10% under today's rules unless `over` says otherwise. */
const input = (canary: Partial<VersionWindow>, champion: Partial<VersionWindow> = {}, over: Partial<AnalysisInput> = {}) => analysisInput(canary, champion, { weight: 10, passWithinMargin: true, ...over });
/** The same step as canaries recorded before a check needed its estimate within the margin to pass judged it. */
const recorded = (canary: Partial<VersionWindow>, champion: Partial<VersionWindow> = {}, over: Partial<AnalysisInput> = {}) => input(canary, champion, { passWithinMargin: false, ...over });

describe('confidence sequence (normal-mixture mSPRT)', () => {
  it('rejects a boundary exactly when the likelihood ratio reaches 1/alpha', () => {
    for (const estimate of [-0.2, -0.05, 0, 0.01, 0.3]) {
      const e = confidenceSequence(estimate, 0.0016, 0.05, 0.05, -0.03, { canary: 1, champion: 1 });
      const outside = e.upper < -0.03 || e.lower > -0.03;
      expect(e.likelihoodRatio >= 20, `estimate ${estimate}`).toBe(outside);
      expect(e.alwaysValidP < 0.05).toBe(outside);
    }
  });

  it('places a difference against its margin on the side harm lies: the whole interval beyond it, only the estimate, or neither', () => {
    const at = (estimate: number, boundary: number) => confidenceSequence(estimate, 0.0016, 0.05, 0.05, boundary, { canary: 1, champion: 1 });
    // Higher is worse (error rate, log loss), margin +0.05.
    expect([0.4, 0.1, 0.0].map((x) => sideOfMargin(at(x, 0.05), true))).toEqual(['harm', 'beyond', 'within']);
    // Lower is worse (AUC), margin −0.03.
    expect([-0.4, -0.06, 0.0].map((x) => sideOfMargin(at(x, -0.03), false))).toEqual(['harm', 'beyond', 'within']);
  });

  it('is wider than the fixed-sample interval (the price of looking at every interval) and narrows as variance falls', () => {
    const wide = confidenceSequence(0, 0.0016, 0.05, 0.05, 0, { canary: 1, champion: 1 });
    const narrow = confidenceSequence(0, 0.0001, 0.05, 0.05, 0, { canary: 1, champion: 1 });
    expect(wide.upper).toBeGreaterThan(1.96 * 0.04);
    expect(narrow.upper).toBeLessThan(wide.upper);
  });

  it('keeps the false-alarm rate at or below alpha over 30 looks at a null stream (simulated)', () => {
    // Seeded normal stream with mean 0, looked at after every 20 observations; the fixed 95% test would fire far more often.
    // 1000 runs: the observed rate's standard error is 0.007, so 0.06 allows sampling noise above 0.05.
    const rand = mulberry32(42);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    let sequentialAlarms = 0;
    let naiveAlarms = 0;
    const runs = 1000;
    for (let r = 0; r < runs; r++) {
      let sum = 0;
      let n = 0;
      let seq = false;
      let naive = false;
      for (let look = 0; look < 30; look++) {
        for (let k = 0; k < 20; k++) {
          sum += gauss();
          n++;
        }
        const mean = sum / n;
        const e = confidenceSequence(mean, 1 / n, 0.2, 0.05, 0, { canary: n, champion: 0 });
        seq ||= e.lower > 0 || e.upper < 0;
        naive ||= Math.abs(mean) > 1.96 / Math.sqrt(n);
      }
      sequentialAlarms += seq ? 1 : 0;
      naiveAlarms += naive ? 1 : 0;
    }
    expect(sequentialAlarms / runs).toBeLessThanOrEqual(0.06);
    expect(naiveAlarms / runs).toBeGreaterThan(0.15);
  });
});

describe('sequential hold of one canary step', () => {
  it('holds while the canary has fewer requests than the minimum sample, and decides once it has them', () => {
    const short = lookAtStep(input({ requests: 30, scoreCounts: spread(30) }), plan, 5000, 1);
    expect(short).toMatchObject({ decided: false, look: 1, analysis: { verdict: 'inconclusive' } });
    expect(short.analysis.reasons).toEqual(['samples: only 30 canary requests in this step, 50 needed: not enough traffic to judge']);
    expect(lookAtStep(input({ requests: 60, scoreCounts: spread(60) }), plan, 10_000, 2)).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
  });

  it('is inconclusive only at the maximum duration, saying so', () => {
    const r = lookAtStep(input({ requests: 30, scoreCounts: spread(30) }), plan, 30_000, 6);
    expect(r).toMatchObject({ decided: true, analysis: { verdict: 'inconclusive' } });
    expect(r.analysis.reasons[0]).toBe('maximum duration of the step reached (30.0 s, 6 looks) without a decision');
  });

  it('does not pass before the minimum duration, but fails at once on harm', () => {
    const slow = holdPlan(5000, { minMs: 20_000, maxMs: 60_000, alpha: 0.05 });
    expect(lookAtStep(input({}), slow, 5000, 1)).toMatchObject({ decided: false });
    expect(lookAtStep(input({ errors: 200, errorRate: 0.5 }), slow, 5000, 1)).toMatchObject({ decided: true, analysis: { verdict: 'fail' } });
  });

  it('fails the error rate only when the always-valid interval lies above the allowed increase, with the evidence', () => {
    const clear = lookAtStep(input({ errors: 40, errorRate: 0.1 }), plan, 5000, 1);
    const e = clear.analysis.checks.find((c) => c.name === 'errorRate')!;
    expect(e.verdict).toBe('fail');
    expect(e.evidence).toMatchObject({ boundary: 0.01, alpha: 0.05, samples: { canary: 400, champion: 400 } });
    expect(e.evidence!.lower).toBeGreaterThan(0.01);
    // 3% vs 1% on 400 requests: over the fixed-sample limit, but within always-valid noise.
    const noisy = lookAtStep(input({ errors: 12, errorRate: 0.03 }, { errors: 4, errorRate: 0.01 }), plan, 5000, 1);
    expect(noisy.analysis.checks.find((c) => c.name === 'errorRate')!.verdict).toBe('pass');
  });

  it('on a decisive step holds an error rate estimated beyond the allowed increase, once one error alone could not put it there', () => {
    const errorRate = (r: ReturnType<typeof lookAtStep>) => r.analysis.checks.find((c) => c.name === 'errorRate')!;
    // +2 points on 400 requests, the allowed increase 1 point: held on the last step (and the one before 100%).
    const held = lookAtStep(input({ errors: 12, errorRate: 0.03 }, { errors: 4, errorRate: 0.01 }, { lastStep: true }), plan, 5000, 1);
    expect(held.decided).toBe(false);
    expect(errorRate(held)).toMatchObject({ verdict: 'inconclusive', message: expect.stringContaining('the estimate is beyond the margin') });
    // Also at 100%, where the champion's rate is the carried baseline and the canary's sample still grows.
    expect(lookAtStep(input({ errors: 12, errorRate: 0.03 }, { errors: 4, errorRate: 0.01 }, { lastStep: true, weight: 100 }), plan, 5000, 1).decided).toBe(false);
    // One error in 60 requests (under 1/margin = 100): not held.
    expect(errorRate(lookAtStep(input({ requests: 60, errors: 1, errorRate: 1 / 60, scoreCounts: spread(60) }, { errors: 0 }, { lastStep: true, weight: 100 }), plan, 5000, 1)).verdict).toBe('pass');
    // Recorded canaries passed it.
    expect(errorRate(lookAtStep(recorded({ errors: 12, errorRate: 0.03 }, { errors: 4, errorRate: 0.01 }, { lastStep: true }), plan, 5000, 1)).verdict).toBe('pass');
  });

  it('fails live AUC on a clearly worse canary and passes a better one once both have the minimum labels', () => {
    // 0.50 vs 0.72 on 100 labels each is not yet enough for always-valid 95%; on 300 it is.
    const early = lookAtStep(input({ auc: 0.5, labels: 100, positives: 20 }, { auc: 0.72, labels: 100, positives: 20 }, { lastStep: true }), plan, 5000, 1);
    expect(early).toMatchObject({ decided: false, analysis: { verdict: 'inconclusive' } });
    expect(early.analysis.checks.find((c) => c.name === 'liveAuc')!.message).toMatch(/not shown below the allowed drop 0\.03 .*; the estimate is beyond the margin, so this check does not pass on it/);
    const worse = lookAtStep(input({ auc: 0.5 }, { auc: 0.72 }), plan, 5000, 1);
    expect(worse.analysis.verdict).toBe('fail');
    expect(worse.analysis.checks.find((c) => c.name === 'liveAuc')!.evidence!.upper).toBeLessThan(-0.03);
    const better = lookAtStep(input({ auc: 0.7, labels: 150, positives: 30 }, { auc: 0.57 }, { lastStep: true }), plan, 5000, 1);
    expect(better).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
  });

  it('on the decisive step never passes a check whose estimate lies beyond the margin: "no harm shown" on a noisy sample is not evidence of none', () => {
    // What canaries recorded before the rule did: 0.50 vs 0.72 on the minimum labels passed, as no harm was shown yet.
    const small = [{ auc: 0.5, labels: 100, positives: 20 }, { auc: 0.72, labels: 100, positives: 20 }] as const;
    expect(lookAtStep(recorded(...small), plan, 5000, 1)).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
    // Now the decisive step (the last, or the one before 100%) holds, and is inconclusive at the maximum duration if
    // the interval never decides: a human decides, and the decision timeout's default rolls back.
    expect(lookAtStep(input(...small, { lastStep: true }), plan, 5000, 1).decided).toBe(false);
    const atMax = lookAtStep(input(...small, { lastStep: true }), plan, 30_000, 6);
    expect(atMax).toMatchObject({ decided: true, analysis: { verdict: 'inconclusive' } });
    expect(atMax.analysis.reasons[0]).toMatch(/^maximum duration of the step reached/);
    // Earlier steps leave live quality to the decisive one, as they do before the labels arrive.
    expect(lookAtStep(input(...small), plan, 5000, 1)).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
    // An estimate within the margin passes on the minimum sample, though the interval is as wide.
    expect(lookAtStep(input({ auc: 0.7, labels: 100, positives: 20 }, { auc: 0.72, labels: 100, positives: 20 }, { lastStep: true }), plan, 5000, 1)).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
  });

  it('does not hold at 100%, where the champion serves nothing and its frozen sample could not change the estimate', () => {
    const full = lookAtStep(input({ auc: 0.66, labels: 1000, positives: 200 }, { auc: 0.72, labels: 100, positives: 20 }, { weight: 100, lastStep: true }), plan, 5000, 1);
    expect(full).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
    // Harm shown still fails there.
    expect(lookAtStep(input({ auc: 0.5, labels: 1000, positives: 200 }, { auc: 0.72 }, { weight: 100, lastStep: true }), plan, 5000, 1).analysis.verdict).toBe('fail');
  });

  it('holds on an accuracy estimated beyond its allowed drop, and passes once the estimate is back within it', () => {
    const last = { lastStep: true };
    const beyond = lookAtStep(input({ accuracy: 0.74, labels: 100, positives: 20 }, { accuracy: 0.8, labels: 100, positives: 20 }, last), plan, 5000, 1);
    expect(beyond.decided).toBe(false);
    expect(beyond.analysis.checks.find((c) => c.name === 'liveAccuracy')!.verdict).toBe('inconclusive');
    expect(lookAtStep(input({ accuracy: 0.78, labels: 100, positives: 20 }, { accuracy: 0.8, labels: 100, positives: 20 }, last), plan, 10_000, 2).decided).toBe(true);
  });

  it('on the last step waits for the labels live quality needs, instead of giving up', () => {
    const few = lookAtStep(input({ labels: 40, positives: 8 }, {}, { lastStep: true }), plan, 5000, 1);
    expect(few.decided).toBe(false);
    expect(few.analysis.checks.find((c) => c.name === 'liveAuc')!.verdict).toBe('inconclusive');
    // Earlier steps leave quality to later ones.
    expect(lookAtStep(input({ labels: 40, positives: 8 }), plan, 5000, 1)).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
  });

  it('is inconclusive at once when the server restarted: the lost figures cannot come back by waiting', () => {
    const r = lookAtStep(input({}, {}, { serverStartedAtStepStart: 's0' }), plan, 5000, 1);
    expect(r).toMatchObject({ decided: true, analysis: { verdict: 'inconclusive' } });
  });

  it('waits one interval between looks, cut at the maximum', () => {
    expect(nextWaitMs(plan, 0)).toBe(5000);
    expect(nextWaitMs(plan, 27_000)).toBe(3000);
    expect(holdPlan(5000, { alpha: 0.05 })).toEqual({ intervalMs: 5000, minMs: 5000, maxMs: 30_000, alpha: 0.05 });
  });
});

describe('a shifted score distribution in a sequential hold (binary)', () => {
  // PSI against spread(): 0.43 when every bin moves 4 places up (a higher base rate), 1.07 when the mass swaps ends.
  const moved = Array.from({ length: 20 }, (_, i) => (i < 6 ? 10 : i < 16 ? 30 : 10));
  const swapped = Array.from({ length: 20 }, (_, i) => (i < 10 ? 30 : 10));
  const awaits = { shiftAwaitsQuality: true };
  const shiftOf = (r: ReturnType<typeof lookAtStep>) => r.analysis.checks.find((c) => c.name === 'scoreShift')!;

  it('waits for labels instead of rolling back a candidate whose scores moved below the hard limit', () => {
    const r = lookAtStep(input({ scoreCounts: moved, labels: 20, positives: 4 }, { labels: 20, positives: 4 }, awaits), plan, 5000, 1);
    expect(r.decided).toBe(false);
    expect(shiftOf(r)).toMatchObject({ verdict: 'inconclusive', canary: expect.closeTo(0.43, 2) });
    expect(shiftOf(r).message).toMatch(/below PSI 1\.000: waiting for live AUC to show the candidate no worse than −0\.03/);
  });

  it('passes the shift once live AUC shows the candidate no worse, with the bound in the message', () => {
    // 0.72 vs 0.57 on 300 labels each: the always-valid interval still reaches −0.033; on 1,000 it does not.
    const few = lookAtStep(input({ scoreCounts: moved, auc: 0.72 }, { auc: 0.57 }, awaits), plan, 5000, 1);
    expect(few.decided).toBe(false);
    const many = { labels: 1000, positives: 200 };
    const r = lookAtStep(input({ scoreCounts: moved, auc: 0.72, ...many }, { auc: 0.57, ...many }, awaits), plan, 5000, 1);
    expect(r).toMatchObject({ decided: true, analysis: { verdict: 'pass' } });
    expect(shiftOf(r).message).toMatch(/live AUC shows the candidate no worse \(difference ≥ 0\.\d+ > −0\.03\)/);
  });

  it('keeps waiting while live AUC is merely not shown worse, and fails the shift at the maximum duration', () => {
    // Equal AUCs on 300 labels: no harm shown, but no evidence of "no worse by 0.03" either.
    const equal = input({ scoreCounts: moved, auc: 0.7 }, { auc: 0.7 }, awaits);
    expect(lookAtStep(equal, plan, 5000, 1).decided).toBe(false);
    const last = lookAtStep(equal, plan, 30_000, 6);
    expect(last).toMatchObject({ decided: true, analysis: { verdict: 'fail' } });
    expect(shiftOf(last).message).toMatch(/did not show the candidate no worse than −0\.03 by the step's maximum duration/);
    // Labels that never come (or requireLabels: false) end the same way: not a question for the decision gate.
    const unlabelled = input({ scoreCounts: moved, labels: 0, positives: 0, auc: null, accuracy: null }, {}, { ...awaits, thresholds: { ...thresholds, requireLabels: false } });
    expect(lookAtStep(unlabelled, plan, 30_000, 6)).toMatchObject({ decided: true, analysis: { verdict: 'fail' } });
  });

  it('fails on live AUC when the shifted candidate ranks worse', () => {
    const r = lookAtStep(input({ scoreCounts: moved, auc: 0.5 }, { auc: 0.72 }, awaits), plan, 5000, 1);
    expect(r).toMatchObject({ decided: true, analysis: { verdict: 'fail' } });
    expect(r.analysis.reasons.some((x) => x.startsWith('liveAuc:'))).toBe(true);
  });

  it('fails at once, before any label, at or above maxPsiWithoutLabels (default 4 × maxPsi)', () => {
    const r = lookAtStep(input({ scoreCounts: swapped, labels: 0, positives: 0, auc: null, accuracy: null }, {}, awaits), plan, 5000, 1);
    expect(r).toMatchObject({ decided: true, analysis: { verdict: 'fail' } });
    expect(shiftOf(r).message).toMatch(/at or above PSI 1\.000 a shift fails without waiting for labels/);
    const strict = { ...thresholds, maxPsiWithoutLabels: 0.4 };
    expect(lookAtStep(input({ scoreCounts: moved, labels: 20, positives: 4 }, {}, { ...awaits, thresholds: strict }), plan, 5000, 1).analysis.verdict).toBe('fail');
  });

  it('fails a moved distribution at once in canaries recorded before the rule', () => {
    expect(lookAtStep(input({ scoreCounts: moved, auc: 0.72 }, { auc: 0.57 }), plan, 5000, 1).analysis.verdict).toBe('fail');
  });
});

describe('live quality on a handful of labels', () => {
  it('is not judged below 10 labels of each class: an AUC of 0 on 4 labels is noise, not evidence', () => {
    const r = lookAtStep(input({ auc: 0, labels: 4, positives: 1 }, { auc: 0.7 }), plan, 5000, 1);
    expect(r.analysis.verdict).toBe('pass');
    expect(r.analysis.checks.find((c) => c.name === 'liveAuc')).toMatchObject({ verdict: 'pending' });
    expect(r.analysis.checks.find((c) => c.name === 'liveAuc')!.evidence).toBeUndefined();
  });
});

describe('the hold spec', () => {
  it('defaults to a sequential hold at alpha 0.05', async () => {
    const { canaryParamsSchema } = await import('../pipeline/step-params');
    expect(canaryParamsSchema.parse({}).hold).toEqual({ mode: 'sequential', alpha: 0.05 });
  });

  it.each([
    [{ minDuration: '2 minutes', maxDuration: '30s' }, 'hold.minDuration: minDuration must not exceed maxDuration'],
    [{ maxDuration: 'soon' }, 'hold.maxDuration'],
    [{ alpha: 0.5 }, 'hold.alpha'],
    [{ mode: 'forever' }, 'hold.mode'],
  ])('rejects %o naming the field', async (hold, field) => {
    const { canaryParamsSchema } = await import('../pipeline/step-params');
    const r = canaryParamsSchema.safeParse({ hold });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(issues).toContain(field);
  });
});
