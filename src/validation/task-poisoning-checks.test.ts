import { describe, expect, it } from 'vitest';
import type { RateCounts, SliceCounts, TriggerCandidate } from './label-evidence';
import type { MulticlassEvidence, RegressionEvidence, ResidualCounts } from './task-evidence';
import { taskPoisoningChecks, type TaskPoisoningEvidence } from './task-poisoning-checks';
import { categoricalColumn, contextOf, numericColumn, profileOf, repeat } from '../../test/support/validation-fixtures';

const ctx = (params: Record<string, unknown> = {}, rows = 3000) => {
  const p = profileOf([categoricalColumn('month', repeat(['1', '2', '3'], rows / 3)), numericColumn('wind', repeat([1, 2, 3], rows / 3))]);
  return contextOf(p, { reference: p, params });
};

const CLASSES = ['rain', 'sun', 'fog'];
/** Shares expected per class and slice: the champion's Σ P(class) over the slice's rows. */
const EXPECTED: Record<string, number[]> = { '1': [0.6, 0.3, 0.1], '2': [0.3, 0.6, 0.1], '3': [0.2, 0.7, 0.1] };

const rate = (n: number, share: number, observed: number): RateCounts => ({ n, pos: Math.round(n * observed), expected: n * share, variance: n * share * (1 - share) });

/** Multiclass evidence over three month slices of `n` rows; `observed[month][class]` overrides the honest share. */
function multiclass(n: number, observed: Record<string, number[]> = {}, extra: Partial<MulticlassEvidence> = {}): TaskPoisoningEvidence {
  const perClass = CLASSES.map((_, c) => {
    const slices: SliceCounts[] = Object.entries(EXPECTED).map(([m, shares]) => ({ column: 'month', value: m, ...rate(n, shares[c], (observed[m] ?? shares)[c]) }));
    const sum = (f: (s: SliceCounts) => number) => slices.reduce((a, s) => a + f(s), 0);
    const global = { n: sum((s) => s.n), pos: sum((s) => s.pos), expected: sum((s) => s.expected), variance: sum((s) => s.variance) };
    return { global, slices, holdout: { n: 1000, pos: 100, expected: 100, variance: 90 } };
  });
  return { labels: { task: 'multiclass', basis: 'champion', classes: CLASSES, perClass, ...extra } };
}

describe('multiclass tainted-data checks', () => {
  it('passes honest labels, every class as the champion expects in every slice', () => {
    const { checks, findings } = taskPoisoningChecks(ctx(), multiclass(1000));
    expect(findings).toEqual([]);
    expect(checks.filter((c) => c.check === 'labelConsistency')).toEqual([expect.objectContaining({ status: 'pass' })]);
  });

  it('finds one slice whose rain was relabelled sun, naming slice and class, and no other slice', () => {
    const { checks, findings } = taskPoisoningChecks(ctx(), multiclass(1000, { '1': [0, 0.9, 0.1] }));
    // Sun in that slice doubles (×2.2, under the ×4 floor); rain vanishes, and the batch's rain falls by half.
    expect(findings.map((f) => f.where)).toEqual(['global, class rain', 'month = 1, class rain']);
    expect(checks.find((c) => c.check === 'labelConsistency' && c.column === 'month')?.message).toMatch(/slice month = 1 has 0% of class "rain" where the champion's probabilities \(scaled to this batch\) expect [\d.]+%/);
  });

  it('finds a class moved across the whole batch against the champion calibrated on its holdout', () => {
    const { findings } = taskPoisoningChecks(ctx(), multiclass(1000, { '1': [0.2, 0.7, 0.1], '2': [0.1, 0.8, 0.1], '3': [0.05, 0.85, 0.1] }));
    expect(findings).toEqual(expect.arrayContaining([expect.objectContaining({ where: 'global, class rain', effect: expect.any(Number) })]));
    expect(findings.find((f) => f.where === 'global, class rain')!.effect).toBeLessThan(0.5);
  });

  it('does not call a small slice moved by less than the practical floor a finding, however significant', () => {
    const { findings } = taskPoisoningChecks(ctx({ poisoning: { minSliceRateDifference: 0.5 } }), multiclass(1000, { '1': [0.2, 0.7, 0.1] }));
    expect(findings.filter((f) => f.where.startsWith('month'))).toEqual([]);
  });

  it('flags confident predictions contradicted far more often than on the holdout', () => {
    const confident = { batch: { n: 1000, disagree: 300, expected: 100 }, holdout: { n: 1000, disagree: 100, expected: 100 } };
    const { checks } = taskPoisoningChecks(ctx(), multiclass(1000, {}, { confident }));
    expect(checks.find((c) => c.check === 'confidentDisagreement')).toMatchObject({ status: 'fail', observed: expect.closeTo(2.97, 1) });
    const honest = taskPoisoningChecks(ctx(), multiclass(1000, {}, { confident: { ...confident, batch: { n: 1000, disagree: 105, expected: 100 } } }));
    expect(honest.checks.find((c) => c.check === 'confidentDisagreement')).toMatchObject({ status: 'pass' });
  });

  it('flags a value far more frequent than in the reference whose rows are all one class', () => {
    const trigger: TriggerCandidate = { column: 'wind', value: '7.4', n: 60, pos: 60, top: 'fog', referenceCount: 0 };
    const common: TriggerCandidate = { column: 'wind', value: '2', n: 1000, pos: 600, top: 'sun', referenceCount: 1000 };
    const { checks, findings } = taskPoisoningChecks(ctx(), { ...multiclass(1000), triggers: { candidates: [trigger, common], referenceRows: 3000 } });
    expect(findings.filter((f) => f.check === 'triggerPatterns').map((f) => f.where)).toEqual(['wind = 7.4']);
    expect(checks.find((c) => c.check === 'triggerPatterns')?.message).toMatch(/100% of its rows are class "fog" against 10% overall/);
  });

  it('skips every check, saying why, without a champion or reference', () => {
    const { checks } = taskPoisoningChecks(ctx(), { skipped: 'no champion yet to compare with (first run of this model)' });
    for (const name of ['labelConsistency', 'confidentDisagreement', 'triggerPatterns']) {
      expect(checks.find((c) => c.check === name)).toMatchObject({ status: 'skipped', message: expect.stringMatching(/first run/) });
    }
  });
});

/** Residual sums of `n` rows with mean `mean`, sd `sd` and `tail` rows beyond the tail threshold. */
const residuals = (n: number, mean: number, sd: number, tail = 0): ResidualCounts => ({ n, sum: n * mean, sumSq: n * (sd * sd + mean * mean), tail });

function regression(slices: Record<string, number>, extra: Partial<RegressionEvidence> = {}, tail = 10): TaskPoisoningEvidence {
  const parts = Object.entries(slices).map(([m, mean]) => ({ column: 'month', value: m, ...residuals(1000, mean, 2) }));
  const n = parts.length * 1000;
  const mean = parts.reduce((a, p) => a + p.sum, 0) / n;
  return {
    labels: { task: 'regression', basis: 'champion', global: { ...residuals(n, mean, 2), tail }, slices: parts, baseline: { source: 'holdout', n: 1000, mean: 0, sd: 2, tailThreshold: 5, tailShare: 0.01 }, ...extra },
  };
}

describe('regression tainted-data checks', () => {
  it('passes residuals like the holdout in every slice', () => {
    const { checks, findings } = taskPoisoningChecks(ctx(), regression({ '1': 0.1, '2': -0.1, '3': 0 }));
    expect(findings).toEqual([]);
    expect(checks.filter((c) => c.check === 'labelConsistency').every((c) => c.status === 'pass')).toBe(true);
  });

  it('finds targets moved across the batch, in holdout residual sd', () => {
    const { findings } = taskPoisoningChecks(ctx(), regression({ '1': 3, '2': 3, '3': 3 }));
    expect(findings).toEqual([expect.objectContaining({ check: 'labelConsistency', where: 'global', effect: 1.5 })]);
  });

  it('finds one slice moved against the rest of the batch, not the batch as a whole', () => {
    const { findings, checks } = taskPoisoningChecks(ctx(), regression({ '1': -4, '2': 0, '3': 0 }));
    expect(findings.map((f) => f.where)).toEqual(expect.arrayContaining(['month = 1']));
    expect(checks.find((c) => c.check === 'labelConsistency' && c.column === 'month')?.message).toMatch(/slice month = 1 has mean residual .* -4 where the batch has -1\.333, a shift of -1\.333 sd/);
  });

  it('reports labelConsistency skipped, not absent, without a champion when no slice is large enough', () => {
    const small = regression({ '1': 0 }, { basis: 'reference', baseline: { source: 'reference', n: 1000, mean: 16, sd: 7, tailThreshold: 5, tailShare: 0.01 }, slices: [{ column: 'month', value: '1', ...residuals(20, 0, 2) }] });
    const check = taskPoisoningChecks(ctx(), small).checks.find((c) => c.check === 'labelConsistency');
    expect(check).toMatchObject({ status: 'skipped', message: expect.stringMatching(/no slice has 1,000 rows .*poisoning\.minSliceRows/) });
  });

  it('flags residuals beyond the holdout tail far more often than on the holdout', () => {
    expect(taskPoisoningChecks(ctx(), regression({ '1': 0 }, {}, 100)).checks.find((c) => c.check === 'confidentDisagreement')).toMatchObject({ status: 'fail', observed: 10 });
    expect(taskPoisoningChecks(ctx(), regression({ '1': 0 }, {}, 12)).checks.find((c) => c.check === 'confidentDisagreement')).toMatchObject({ status: 'pass' });
  });

  it('flags a new value whose targets are near-constant far from the reference mean, not a value with ordinary targets', () => {
    const trigger: TriggerCandidate = { column: 'wind', value: '7.4', n: 60, pos: 0, mean: 35, sd: 0, referenceCount: 0 };
    const ordinary: TriggerCandidate = { column: 'wind', value: '9', n: 60, pos: 0, mean: 16, sd: 6, referenceCount: 0 };
    const ev = { ...regression({ '1': 0 }), triggers: { candidates: [trigger, ordinary], referenceRows: 3000, target: { mean: 16, sd: 7 } } };
    const { findings } = taskPoisoningChecks(ctx(), ev);
    expect(findings.filter((f) => f.check === 'triggerPatterns')).toEqual([expect.objectContaining({ where: 'wind = 7.4', observed: 35, expected: 16 })]);
  });
});
