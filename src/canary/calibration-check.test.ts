import { describe, expect, it } from 'vitest';
import { canaryAnalysisSchema } from '../pipeline/step-params';
import { LabelWindow } from '../serving/label-window';
import { analyseStep, type AnalysisInput, type VersionWindow } from './analysis';
import { holdPlan, lookAtStep } from './sequential-hold';

/**
 * Labelled traffic like the canary e2e tests': label 1 for long flights with 10% flipped; a model
 * scores sigmoid(bias + weight·x) for standardised distance x. Every model with a positive weight
 * ranks the rows alike, so their live AUC is the same whatever the bias or the weight's size.
 */
function served(weight: number, bias: number, n: number, seed: number): VersionWindow {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const window = new LabelWindow(n);
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = (rand() * 1600 - 800) / 500;
    const truth = x > 0 ? 1 : 0;
    const p = 1 / (1 + Math.exp(-(bias + weight * x)));
    scores.push(p);
    window.add(i, p, (rand() < 0.1 ? 1 - truth : truth) as 0 | 1);
  }
  const f = window.summarize();
  const counts = Array.from({ length: 20 }, () => 0);
  for (const p of scores) counts[Math.min(19, Math.floor(p * 20))]++;
  return { version: seed, requests: n, errors: 0, errorRate: 0, p99Ms: 4, p90Ms: 3, p50Ms: 1, scoreCounts: counts, labels: f.labels, positives: f.positives, auc: f.auc, accuracy: f.accuracy, logLoss: f.logLoss, logLossSd: f.logLossSd };
}

// Score shift out of reach, so live quality alone decides (as a candidate with a moderate shift excused by AUC would be).
const thresholds = canaryAnalysisSchema.parse({ minRequests: 50, minLabels: 100, maxPsi: 10, maxPsiWithoutLabels: 40 });
const plan = holdPlan(5000, { maxMs: 30_000, alpha: 0.05 });

function input(canary: VersionWindow, champion: VersionWindow, binaryLogLoss: boolean): AnalysisInput {
  return {
    measurement: { from: 'a', to: 'b', serverStartedAt: 's1', step: { champion, canary }, cumulative: { champion, canary } },
    thresholds,
    serverStartedAtStepStart: 's1',
    weight: 50,
    lastStep: true,
    shiftAwaitsQuality: true,
    binaryLogLoss,
  };
}

const champion = served(2, 0, 400, 1);
const verdicts = (i: AnalysisInput) => Object.fromEntries(lookAtStep(i, plan, 5000, 1).analysis.checks.map((c) => [c.name, c.verdict]));

describe.each([
  ['squashed towards 0.5', served(0.3, 0, 400, 2)],
  // A constant shift of the logit moves the 0.5 threshold too, so liveAccuracy already catches a large one; stretching does not.
  ['overconfident (stretched away from 0.5)', served(8, 0, 1500, 3)],
])('a binary candidate that ranks like the champion but is %s', (_, candidate) => {
  it('ranks as well: live AUC does not tell it apart', () => {
    expect(Math.abs(candidate.auc! - champion.auc!)).toBeLessThan(0.05);
  });

  it('passed a sequential hold on AUC alone (the rule before live log loss)', () => {
    const look = lookAtStep(input(candidate, champion, false), plan, 5000, 1);
    expect(look.analysis.verdict).toBe('pass');
  });

  it('fails on live log loss: its worsening is above the margin with always-valid confidence', () => {
    const look = lookAtStep(input(candidate, champion, true), plan, 5000, 1);
    expect(look.analysis.verdict).toBe('fail');
    const check = look.analysis.checks.find((c) => c.name === 'liveLogLoss')!;
    expect(check.verdict).toBe('fail');
    expect(check.evidence!.lower).toBeGreaterThan(0.05);
    expect(check.message).toMatch(/live log loss .* vs champion/);
    expect(verdicts(input(candidate, champion, true))).toMatchObject({ liveAuc: 'pass' });
  });

  it('fails a fixed hold too (one-sided 95%)', () => {
    const fixed = analyseStep(input(candidate, champion, true));
    expect(fixed.checks.find((c) => c.name === 'liveLogLoss')?.verdict).toBe('fail');
    expect(fixed.verdict).toBe('fail');
  });
});

describe('live log loss of a well-calibrated binary candidate', () => {
  it('passes one that ranks and calibrates like the champion', () => {
    const good = served(2.1, 0, 400, 4);
    const look = lookAtStep(input(good, champion, true), plan, 5000, 1);
    expect(look.analysis.verdict).toBe('pass');
    expect(verdicts(input(good, champion, true))).toMatchObject({ liveLogLoss: 'pass', liveAuc: 'pass' });
  });

  it('follows the margin: allowing a worsening of 0.5 nats passes the squashed candidate', () => {
    const squashed = served(0.3, 0, 400, 2);
    const lenient = { ...input(squashed, champion, true), thresholds: { ...thresholds, maxLogLossIncrease: 0.5 } };
    expect(lookAtStep(lenient, plan, 5000, 1).analysis.verdict).toBe('pass');
  });

  it('waits with fewer than ten labels on either side (a spread of a handful of losses is no evidence)', () => {
    const few = served(0.3, 0, 8, 2);
    const check = lookAtStep(input(few, champion, true), plan, 5000, 1).analysis.checks.find((c) => c.name === 'liveLogLoss')!;
    expect(check.verdict).toBe('inconclusive');
    expect(check.message).toContain('10 each needed');
  });

  it('is not judged for windows without log loss (a model server from before binary log loss)', () => {
    const { logLoss: _a, logLossSd: _b, ...old } = served(0.3, 0, 400, 2);
    const { logLoss: _c, logLossSd: _d, ...oldChampion } = champion;
    expect(lookAtStep(input(old, oldChampion, true), plan, 5000, 1).analysis.checks.some((c) => c.name === 'liveLogLoss')).toBe(false);
  });
});
