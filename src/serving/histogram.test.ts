import { describe, expect, it } from 'vitest';
import { LATENCY_BINS, latencyBin, latencyQuantileMs, mergeByQuantiles, populationStabilityIndex, SCORE_BINS, scoreBin, valueBin, valueBinLower, VALUE_BINS } from './histogram';

describe('latency histogram', () => {
  it('estimates quantiles within 10% of the exact value', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 0.2 + (i % 1000) * 0.01 + (i % 7 === 0 ? 20 : 0));
    const counts = new Uint32Array(LATENCY_BINS);
    values.forEach((v) => counts[latencyBin(v)]++);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1];
      expect(Math.abs(latencyQuantileMs(counts, q)! - exact) / exact).toBeLessThan(0.1);
    }
  });

  it('clamps out-of-range values and answers null for no data', () => {
    expect(latencyBin(0)).toBe(0);
    expect(latencyBin(1e9)).toBe(LATENCY_BINS - 1);
    expect(latencyQuantileMs(new Uint32Array(LATENCY_BINS), 0.5)).toBeNull();
  });
});

describe('score histogram and PSI', () => {
  it('bins scores in 20 equal bins with 1.0 in the last', () => {
    expect([0, 0.049, 0.05, 0.5, 0.999, 1, NaN].map(scoreBin)).toEqual([0, 0, 1, 10, SCORE_BINS - 1, SCORE_BINS - 1, 0]);
  });

  it('is 0 for equal distributions and grows with the shift', () => {
    const base = [10, 20, 40, 20, 10];
    expect(populationStabilityIndex(base, base.map((v) => v * 3))).toBeCloseTo(0, 12);
    const small = populationStabilityIndex(base, [12, 22, 36, 20, 10]);
    const large = populationStabilityIndex(base, [40, 30, 20, 8, 2]);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.25);
    expect(populationStabilityIndex(base, [0, 0, 0, 0, 0])).toBeNaN();
  });
});

describe('regression value histogram', () => {
  it('bins any scale on one fixed asinh grid, ends included, each value between its bin edges', () => {
    for (const v of [-1e9, -3000, -2.5, -0.01, 0, 0.3, 17, 451.2, 2e5, 1e12, NaN]) {
      const i = valueBin(v);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(VALUE_BINS);
      if (Number.isFinite(v) && i > 0 && i < VALUE_BINS - 1) {
        expect(valueBinLower(i)).toBeLessThanOrEqual(v);
        expect(valueBinLower(i + 1)).toBeGreaterThan(v);
      }
    }
    expect(valueBin(-1e9)).toBe(0);
    expect(valueBin(1e12)).toBe(VALUE_BINS - 1);
  });

  it('merges two fine histograms into bins at the reference’s deciles', () => {
    const reference = new Array(VALUE_BINS).fill(0);
    const other = new Array(VALUE_BINS).fill(0);
    for (let i = 0; i < 1000; i++) {
      reference[valueBin(10 + i * 0.5)]++;
      other[valueBin(10 + i * 0.5 + 100)]++;
    }
    const merged = mergeByQuantiles(reference, other, 10);
    expect(merged.reference.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(merged.other.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(merged.reference.length).toBeGreaterThanOrEqual(8);
    expect(merged.reference.length).toBeLessThanOrEqual(10);
    // No merged bin holds more than a fine bin beyond a decile of the reference.
    for (const c of merged.reference) expect(c).toBeLessThan(250);
    // The shifted sample sits in the upper bins: a large PSI.
    expect(populationStabilityIndex(merged.reference.map((c) => c + 0.5), merged.other.map((c) => c + 0.5))).toBeGreaterThan(1);
  });
});
