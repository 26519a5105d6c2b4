import { describe, expect, it } from 'vitest';
import { canaryAnalysisSchema } from '../pipeline/step-params';
import { LabelWindow } from '../serving/label-window';
import { PairedWindow } from '../serving/paired-window';
import type { AnalysisInput, VersionWindow } from './analysis';
import { holdPlan, lookAtStep } from './sequential-hold';

/**
 * A shadow phase: champion sigmoid(2x) and shadow sigmoid(bias + weight·x) score the same n
 * labelled requests (label 1 for x > 0, 10% flipped), as the model server would measure them.
 */
function shadowPhase(weight: number, n: number): { champion: VersionWindow; canary: VersionWindow } {
  let s = 11;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const champ = new LabelWindow(n);
  const shadow = new LabelWindow(n);
  const pairs = new PairedWindow(n);
  for (let i = 0; i < n; i++) {
    const x = rand() * 3.2 - 1.6;
    const y = (rand() < 0.1 ? (x > 0 ? 0 : 1) : x > 0 ? 1 : 0) as 0 | 1;
    const a = 1 / (1 + Math.exp(-2 * x));
    const b = 1 / (1 + Math.exp(-weight * x));
    champ.add(i, a, y);
    shadow.add(i, b, y);
    pairs.add(i, 1, { score: a, label: y }, { score: b, label: y });
  }
  // The score shift is set out of reach below; a spread histogram lets it be judged at all.
  const scoreCounts = Array.from({ length: 20 }, () => Math.ceil(n / 20));
  const win = (version: number, w: LabelWindow): VersionWindow => {
    const f = w.summarize();
    return { version, requests: n, errors: 0, errorRate: 0, p99Ms: 4, p90Ms: 3, p50Ms: 1, scoreCounts, labels: f.labels, positives: f.positives, auc: f.auc, accuracy: f.accuracy, logLoss: f.logLoss, logLossSd: f.logLossSd };
  };
  return { champion: win(1, champ), canary: { ...win(2, shadow), paired: pairs.summarize(1) } };
}

const thresholds = canaryAnalysisSchema.parse({ minRequests: 20, minLabels: 60, maxPsi: 10, maxPsiWithoutLabels: 40 });
const plan = holdPlan(2000, { maxMs: 60_000, alpha: 0.05 });

function look(w: { champion: VersionWindow; canary: VersionWindow }, pairedShadow: boolean, passWithinMargin = false) {
  const input: AnalysisInput = {
    measurement: { from: 'a', to: 'b', serverStartedAt: 's', step: w, cumulative: w },
    thresholds,
    serverStartedAtStepStart: 's',
    weight: 0,
    lastStep: true,
    shadow: true,
    binaryLogLoss: true,
    shiftAwaitsQuality: true,
    pairedShadow,
    passWithinMargin,
  };
  const l = lookAtStep(input, plan, 2000, 1);
  return { verdict: l.analysis.verdict, check: (name: string) => l.analysis.checks.find((c) => c.name === name)! };
}

describe('paired shadow checks', () => {
  it('shows the harm of a squashed shadow on fewer labels than two independent samples need', () => {
    const w = shadowPhase(0.3, 150);
    const unpaired = look(w, false);
    const paired = look(w, true);
    expect(unpaired.check('liveLogLoss').verdict).toBe('pass');
    expect(paired.check('liveLogLoss').verdict).toBe('fail');
    expect(paired.check('liveLogLoss').message).toContain('(paired)');
    expect(paired.verdict).toBe('fail');
    // Same estimate, narrower interval.
    const [u, p] = [unpaired.check('liveLogLoss').evidence!, paired.check('liveLogLoss').evidence!];
    expect(p.estimate).toBeCloseTo(u.estimate, 6);
    expect(p.upper - p.lower).toBeLessThan(u.upper - u.lower);
  });

  it('holds, rather than passes, an unpaired log loss estimated beyond the margin', () => {
    const w = shadowPhase(0.3, 150);
    const unpaired = look(w, false, true);
    expect(unpaired.check('liveLogLoss')).toMatchObject({ verdict: 'inconclusive', message: expect.stringContaining('the estimate is beyond the margin') });
    expect(unpaired.check('liveLogLoss').evidence!.estimate).toBeGreaterThan(0.05);
    expect(unpaired.verdict).toBe('inconclusive');
    expect(look(w, true, true).verdict).toBe('fail');
    // A shadow as good as the champion passes under the rule too.
    expect(look(shadowPhase(2.2, 200), true, true).verdict).toBe('pass');
  });

  it('judges live AUC by DeLong on the pairs and passes a shadow that ranks as well', () => {
    const w = shadowPhase(2.2, 200);
    const paired = look(w, true);
    expect(paired.verdict).toBe('pass');
    const auc = paired.check('liveAuc');
    expect(auc.message).toMatch(/DeLong difference/);
    expect(auc.evidence!.upper - auc.evidence!.lower).toBeLessThan(look(w, false).check('liveAuc').evidence!.upper - look(w, false).check('liveAuc').evidence!.lower);
  });

  it('keeps the unpaired checks when the server paired nothing with the champion', () => {
    const w = shadowPhase(0.5, 80);
    const other = { ...w, canary: { ...w.canary, paired: { ...w.canary.paired!, against: 9 } } };
    expect(look(other, true).check('liveLogLoss').message).not.toContain('(paired)');
  });
});
