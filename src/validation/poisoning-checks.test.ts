import { describe, expect, it } from 'vitest';
import type { LabelEvidence, SliceCounts } from './label-evidence';
import type { BoundaryShift } from './label-source-boundary';
import { normalP } from './drift-stats';
import { holm, poisoningChecks, type PoisoningEvidence } from './poisoning-checks';
import { categoricalColumn, contextOf, profileOf, repeat } from '../../test/support/validation-fixtures';

const ctx = (params: Record<string, unknown> = {}) => {
  const p = profileOf([categoricalColumn('origin', repeat(['A', 'B'], 100)), categoricalColumn('label', repeat(['0', '1'], 100), 'INTEGER')]);
  return contextOf(p, { reference: p, params });
};

/** A slice whose expected positives are `rate` of its rows and whose observed are `observed` of them. */
const slice = (value: string, n: number, rate: number, observed: number): SliceCounts => ({ column: 'origin', value, n, pos: Math.round(n * observed), expected: n * rate, variance: n * rate * (1 - rate) });

function evidence(slices: SliceCounts[], extra: Partial<LabelEvidence> = {}): PoisoningEvidence {
  const sum = (f: (s: SliceCounts) => number) => slices.reduce((a, s) => a + f(s), 0);
  return { labels: { basis: 'reference', global: { n: sum((s) => s.n), pos: sum((s) => s.pos), expected: sum((s) => s.expected), variance: sum((s) => s.variance) }, slices, ...extra } };
}

describe('tainted-data statistics', () => {
  it('gives the two-sided normal p-value', () => {
    expect(normalP(1.959964)).toBeCloseTo(0.05, 4);
    expect(normalP(0)).toBeCloseTo(1, 6);
  });

  it("applies Holm's step-down correction", () => {
    expect(holm([0.001, 0.04, 0.03, 0.5], 0.05)).toEqual([true, false, false, false]);
    expect(holm([0.01, 0.02, 0.03], 0.1)).toEqual([true, true, true]);
  });
});

describe('labelConsistency per slice', () => {
  const clean = [slice('A', 5000, 0.2, 0.2), slice('B', 5000, 0.3, 0.3), slice('C', 5000, 0.1, 0.1)];

  it('passes slices that follow their expectation, whatever the batch level', () => {
    // Every slice 30% above expectation: a week with more delays, not poisoning.
    const { checks, findings } = poisoningChecks(ctx(), evidence(clean.map((s) => ({ ...s, pos: Math.round(s.pos * 1.3) }))));
    expect(findings).toEqual([]);
    expect(checks.find((c) => c.check === 'labelConsistency')).toMatchObject({ status: 'pass' });
  });

  it('fails a slice whose labels were flipped, naming observed vs expected, rows and p-value', () => {
    const { checks, findings } = poisoningChecks(ctx(), evidence([slice('A', 5000, 0.2, 0.01), clean[1], clean[2]]));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: 'labelConsistency', where: 'origin = A', rows: 5000 });
    expect(findings[0].observed).toBeCloseTo(0.01, 3);
    expect(findings[0].pValue).toBeLessThan(1e-10);
    expect(checks.filter((c) => c.status === 'fail')).toHaveLength(1);
  });

  it('does not fail a significant but small effect (the practical-effect floor)', () => {
    const { findings } = poisoningChecks(ctx(), evidence([slice('A', 500_000, 0.2, 0.17), slice('B', 500_000, 0.3, 0.3)]));
    expect(findings).toEqual([]);
  });

  it("judges a slice against the champion's own error in that slice of its holdout", () => {
    // The champion predicts 20% in every hour (it never saw the hour), while both its holdout and
    // this batch have 2% in hour A, 38% in B and 20% in C: clean data, not a finding.
    const unusedColumn = [
      { ...slice('A', 5000, 0.2, 0.02), holdout: { pos: 100, expected: 1000 } },
      { ...slice('B', 5000, 0.2, 0.38), holdout: { pos: 1900, expected: 1000 } },
      { ...slice('C', 5000, 0.2, 0.2), holdout: { pos: 1000, expected: 1000 } },
    ];
    const holdout = { n: 15_000, pos: 3000, expected: 3000, variance: 2400 };
    expect(poisoningChecks(ctx(), evidence(unusedColumn, { basis: 'champion', holdout })).findings).toEqual([]);
    // Without the holdout slices, the same batch is flagged: what the calibration fixes.
    const uncalibrated = unusedColumn.map(({ holdout: _, ...rest }) => rest);
    expect(poisoningChecks(ctx(), evidence(uncalibrated, { basis: 'champion', holdout })).findings.map((f) => f.where)).toContain('origin = A');
    // 90% of C's positives flipped still shows against the calibrated expectation.
    const flipped = [unusedColumn[0], unusedColumn[1], { ...unusedColumn[2], pos: 100 }];
    expect(poisoningChecks(ctx(), evidence(flipped, { basis: 'champion', holdout })).findings.map((f) => f.where)).toEqual(['origin = C']);
  });

  it('only warns when the check is set to warn, and disappears when off', () => {
    const flipped = evidence([slice('A', 5000, 0.2, 0.01), clean[1], clean[2]]);
    expect(poisoningChecks(ctx({ severity: { labelConsistency: 'warn' } }), flipped).checks.find((c) => c.column === 'origin')?.status).toBe('warn');
    expect(poisoningChecks(ctx({ severity: { labelConsistency: 'off' } }), flipped).checks.filter((c) => c.check === 'labelConsistency')).toEqual([]);
  });
});

describe('triggerPatterns', () => {
  const base = evidence([slice('A', 10_000, 0.2, 0.2)]);

  it('fails a value new to the batch whose rows carry one label', () => {
    const ev = { ...base, triggers: { referenceRows: 50_000, candidates: [{ column: 'distance', value: '4321', n: 100, pos: 0, referenceCount: 0 }] } };
    const { findings } = poisoningChecks(ctx(), ev);
    expect(findings).toEqual([expect.objectContaining({ check: 'triggerPatterns', where: 'distance = 4321', observed: 0, rows: 100 })]);
  });

  it('passes a frequent value that was as frequent in the reference, or whose labels are mixed', () => {
    const ev = {
      ...base,
      triggers: {
        referenceRows: 50_000,
        candidates: [
          { column: 'origin', value: 'ATL', n: 500, pos: 0, referenceCount: 2500 },
          { column: 'distance', value: '4321', n: 100, pos: 20, referenceCount: 0 },
        ],
      },
    };
    expect(poisoningChecks(ctx(), ev).findings).toEqual([]);
  });
});

describe('confidentDisagreement', () => {
  const confident = (n: number, disagree: number) => ({ n, disagree, high: { n: n / 2, disagree, sumP: n / 2 * 0.9 }, low: { n: n / 2, disagree: 0, sumP: n / 2 * 0.1 } });

  it('fails when confident predictions are contradicted far more than on the champion holdout', () => {
    const rates = { n: 10_000, pos: 2000, expected: 2000, variance: 1600 };
    const ev = evidence([slice('A', 10_000, 0.2, 0.2)], { basis: 'champion', holdout: rates, confident: { batch: confident(2000, 600), holdout: confident(2000, 100) } });
    const { findings } = poisoningChecks(ctx(), ev);
    expect(findings.map((f) => f.check)).toContain('confidentDisagreement');
  });
});

describe('labelSourceBoundary', () => {
  const band = {
    comparison: { op: 'gt' as const, value: 15 },
    negative: { from: 15, to: 11, width: 1, bins: 5, closed: true },
    positive: { from: 16, to: 25, width: 1, bins: 10, closed: false },
  };
  /** A slice whose density jump at the threshold moved by `ratio` against the reference, with p-value `pValue`. */
  const at = (value: string, ratio: number, pValue: number, total = 100_000): BoundaryShift => ({
    column: value ? 'origin' : '',
    value,
    total,
    negative: Math.round(total * 0.06 * ratio),
    positive: Math.round(total * 0.06),
    refNegative: 3000,
    refPositive: 3000,
    ratio,
    pValue,
  });
  const withBoundary = (slices: BoundaryShift[]): PoisoningEvidence => ({ ...evidence([slice('A', 5000, 0.2, 0.2)]), labelSource: { column: 'delay', candidates: [], boundary: { band, slices } } });
  const check = (ev: PoisoningEvidence, params = {}) => poisoningChecks(ctx(params), ev).checks.filter((c) => c.check === 'labelSourceBoundary');

  it('passes a density that keeps its jump at the threshold, and records the whole batch ratio', () => {
    const out = poisoningChecks(ctx(), withBoundary([at('', 1.02, 0.3), at('ORD', 0.97, 0.6, 6000)]));
    expect(out.checks.find((c) => c.check === 'labelSourceBoundary')).toMatchObject({ status: 'pass' });
    expect(out.summary.boundaryRatio).toBe(1.02);
  });

  it('fails rows moved to the negative side, naming the bands, the rows against the reference, ratio and p-value', () => {
    const out = poisoningChecks(ctx(), withBoundary([at('', 1.22, 1e-9), at('ORD', 1.25, 1e-4, 6000)]));
    const failed = out.checks.filter((c) => c.check === 'labelSourceBoundary');
    // The whole batch moved: named once, not again for each slice.
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: 'fail', subject: 'global' });
    expect(failed[0].message).toBe(
      'labelSourceBoundary(delay): in the batch (100,000 rows), delay 11..15 (label 0) and 16..25 (label 1): 7,320 vs 6,000 rows, where the reference has 3,000 vs 3,000; the density at the threshold on the label-0 side, relative to the label-1 side, is ×1.22 the reference\'s (p = 1.00e-9): rows moved across the threshold toward label 0, labels flipped?',
    );
    expect(out.findings).toEqual([expect.objectContaining({ check: 'labelSourceBoundary', where: 'global', rows: 100_000, effect: 1.22 })]);
  });

  it('fails one slice that moved beyond its floor, and neither a significant shift below the floor nor a large one that is not significant', () => {
    const failed = check(withBoundary([at('', 1.01, 0.5), at('ORD', 0.5, 1e-8, 6000), at('ATL', 1.4, 1e-12, 50_000), at('SFO', 2.5, 0.01, 2000)]));
    expect(failed.map((c) => [c.status, c.subject])).toEqual([['fail', 'origin = ORD']]);
    expect(failed[0].message).toMatch(/toward label 1/);
    expect(check(withBoundary([at('', 1.1, 1e-12)]))[0]).toMatchObject({ status: 'pass' });
    expect(check(withBoundary([at('', 1.1, 1e-12)]), { poisoning: { labelSource: { minBoundaryRatio: 1.05 } } })[0]).toMatchObject({ status: 'fail' });
  });

  it('tests the whole batch on its own, however many slices were searched', () => {
    const quiet = Array.from({ length: 100 }, (_, i) => at(`S${i}`, 1.02, 0.5, 3000));
    expect(check(withBoundary([at('', 1.35, 2e-4), ...quiet]))[0]).toMatchObject({ status: 'fail', subject: 'global' });
    // A slice with the same p-value among the hundred is not enough.
    expect(check(withBoundary([at('', 1.0, 0.9), at('ORD', 2, 2e-4, 6000), ...quiet]))[0]).toMatchObject({ status: 'pass' });
  });

  it('names beside a whole-batch shift the slices that moved the other way, so a release of the one does not cover them', () => {
    const failed = check(withBoundary([at('', 1.25, 1e-9), at('ORD', 0.3, 1e-12, 6000), at('ATL', 1.3, 1e-6, 8000)]));
    expect(failed.map((c) => [c.status, c.subject])).toEqual([['fail', 'global'], ['fail', 'origin = ORD']]);
    expect(failed[1].message).toMatch(/toward label 1/);
  });

  it('is skipped, not passed, when the batch has too few rows next to the threshold to test', () => {
    const thin = { ...at('', 8, 1e-3, 500), negative: 24, positive: 3 };
    expect(check(withBoundary([thin]))[0]).toMatchObject({ status: 'skipped', message: "labelSourceBoundary: skipped, fewer than 30 rows next to delay's threshold 15 in the batch or the reference" });
  });

  it('is skipped, saying why, when the bands could not be drawn', () => {
    const ev: PoisoningEvidence = { ...evidence([slice('A', 5000, 0.2, 0.2)]), labelSource: { column: 'delay', candidates: [], boundary: { skipped: 'the batch was ingested before the label comparison was recorded' } } };
    expect(check(ev)[0]).toMatchObject({ status: 'skipped', message: 'labelSourceBoundary: skipped, the batch was ingested before the label comparison was recorded' });
  });
});
