import { describe, expect, it } from 'vitest';
import { columnFigure, driftEvidence, evidenceFigures } from './drift-evidence';

const summary = {
  detected: true,
  share: 2 / 3,
  columns: ['distance', 'hour'],
  maxDriftedFraction: 0.5,
  tests: [
    { column: 'origin', method: 'chisquare' as const, value: 0.2, threshold: 0.001, direction: 'below' as const, drifted: false },
    { column: 'distance', method: 'ks' as const, value: 1.23e-30, threshold: 0.001, direction: 'below' as const, drifted: true },
    { column: 'hour', method: 'wasserstein' as const, value: 0.4567, threshold: 0.1, direction: 'at-or-above' as const, drifted: true },
  ],
};

describe('drift evidence', () => {
  it('keeps every column\'s statistic, threshold and verdict with the probe run', () => {
    const e = driftEvidence(summary, 'm-drift-probe-1');
    expect(e).toMatchObject({ probeWorkflowId: 'm-drift-probe-1', detected: true, share: 2 / 3, maxDriftedFraction: 0.5 });
    expect(e.columns.map((c) => [c.column, c.statistic, c.threshold, c.drifted])).toEqual([
      ['origin', 0.2, 0.001, false],
      ['distance', 1.23e-30, 0.001, true],
      ['hour', 0.4567, 0.1, true],
    ]);
  });

  it.each([
    [{ column: 'distance', method: 'ks', statistic: 1.23e-30, threshold: 0.001, direction: 'below', drifted: true }, 'distance ks 1.2e-30 < 0.001'],
    [{ column: 'origin', method: 'chisquare', statistic: 0.2, threshold: 0.001, direction: 'below', drifted: false }, 'origin chisquare 0.2 ≥ 0.001'],
    [{ column: 'hour', method: 'wasserstein', statistic: 0.4567, threshold: 0.1, direction: 'at-or-above', drifted: true }, 'hour wasserstein 0.457 ≥ 0.1'],
    [{ column: 'hour', method: 'psi', statistic: 0.05, threshold: 0.1, direction: 'at-or-above', drifted: false }, 'hour psi 0.05 < 0.1'],
  ])('writes %o as "%s"', (column, text) => {
    expect(columnFigure(column)).toBe(text);
  });

  it('names the drifted columns first, the limit and the probe run', () => {
    expect(evidenceFigures(driftEvidence(summary, 'm-drift-probe-1'))).toBe(
      'probe m-drift-probe-1, dataset drift at 0.5: distance ks 1.2e-30 < 0.001; hour wasserstein 0.457 ≥ 0.1; origin chisquare 0.2 ≥ 0.001',
    );
  });

  it('reads a summary from before the evidence (no tests, no limit)', () => {
    const e = driftEvidence({ detected: false, share: 0, columns: [] } as never, 'p');
    expect(e).toEqual({ probeWorkflowId: 'p', detected: false, share: 0, maxDriftedFraction: null, columns: [] });
  });
});
