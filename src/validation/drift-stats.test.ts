import { describe, expect, it } from 'vitest';
import {
  chiSquareSurvival,
  chiSquareTest,
  jensenShannonDistance,
  ksPValue,
  ksStatistic,
  logGamma,
  populationStabilityIndex,
  wassersteinDistance,
} from './drift-stats';
import type { NumericHistogram } from './histogram';

const exact = (values: number[]): NumericHistogram => {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return { quantum: 1, exact: true, bins: [...counts].sort((a, b) => a[0] - b[0]) };
};

describe('drift statistics', () => {
  it('computes ln Γ exactly enough for the gamma functions', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  describe.each([
    // Critical values at the 5% level from any chi-squared table.
    [1, 3.841458820694124],
    [2, 5.991464547107979],
    [10, 18.307038053275146],
    [100, 124.34211340400407],
  ])('chi-squared with %i degrees of freedom', (df, critical) => {
    it('puts 5% of the mass above the tabulated critical value', () => {
      expect(chiSquareSurvival(critical, df)).toBeCloseTo(0.05, 8);
    });
  });

  it('tests two identical count vectors as homogeneous and disjoint ones as different', () => {
    expect(chiSquareTest([50, 30, 20], [100, 60, 40]).pValue).toBeCloseTo(1, 10);
    expect(chiSquareTest([50, 0], [0, 50]).pValue).toBeLessThan(1e-10);
    // 2x2: the statistic equals the squared two-proportion z score, (0.6 - 0.4) / sqrt(0.5 * 0.5 * (2 / 100)) = 2.828.
    expect(chiSquareTest([60, 40], [40, 60]).statistic).toBeCloseTo(8, 10);
  });

  it('gives the Kolmogorov distribution its 5% point at lambda = 1.358', () => {
    // With n = m large, Stephens' correction vanishes and lambda = sqrt(n/2) * d.
    const n = 1e8;
    expect(ksPValue(1.3581 / Math.sqrt(n / 2), n, n)).toBeCloseTo(0.05, 3);
    expect(ksPValue(0, 100, 100)).toBe(1);
  });

  it('measures the KS statistic as the largest gap between the two CDFs', () => {
    expect(ksStatistic(exact([1, 2, 3, 4]), exact([1, 2, 3, 4]))).toBe(0);
    expect(ksStatistic(exact([1, 2, 3, 4]), exact([3, 4, 5, 6]))).toBeCloseTo(0.5, 12);
  });

  it('measures Wasserstein distance as the mass times how far it moves', () => {
    expect(wassersteinDistance(exact([0, 1]), exact([1, 2]))).toBeCloseTo(1, 12);
    expect(wassersteinDistance(exact([0, 0, 0, 10]), exact([0, 0, 0, 0]))).toBeCloseTo(2.5, 12);
  });

  it('bounds Jensen–Shannon distance by sqrt(ln 2) and is symmetric', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.log(2)), 12);
    expect(jensenShannonDistance([0.3, 0.7], [0.3, 0.7])).toBe(0);
    const a = [0.5, 0.5];
    const b = [0.9, 0.1];
    expect(jensenShannonDistance(a, b)).toBeCloseTo(jensenShannonDistance(b, a), 12);
    // By hand: m = (0.7, 0.3); JS = 0.5 [0.5 ln(0.5/0.7) + 0.5 ln(0.5/0.3)] + 0.5 [0.9 ln(0.9/0.7) + 0.1 ln(0.1/0.3)].
    const js = 0.5 * (0.5 * Math.log(0.5 / 0.7) + 0.5 * Math.log(0.5 / 0.3)) + 0.5 * (0.9 * Math.log(0.9 / 0.7) + 0.1 * Math.log(0.1 / 0.3));
    expect(jensenShannonDistance(a, b)).toBeCloseTo(Math.sqrt(js), 12);
  });

  it('computes PSI with empty bins counted as 0.0001', () => {
    expect(populationStabilityIndex([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(populationStabilityIndex([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.4 * Math.log(0.9 / 0.5) - 0.4 * Math.log(0.1 / 0.5), 12);
    expect(populationStabilityIndex([1, 0], [0.5, 0.5])).toBeCloseTo(-0.5 * Math.log(0.5) + (0.5 - 0.0001) * Math.log(0.5 / 0.0001), 12);
  });
});
