import { describe, expect, it } from 'vitest';
import { effectiveRows, recencyWeights } from './recency-weights';

describe('recencyWeights', () => {
  it.each([
    { halfLife: 7, ages: [0, 7, 14], ratios: [1, 0.5, 0.25] },
    { halfLife: 14, ages: [0, 7, 14, 28], ratios: [1, Math.SQRT1_2, 0.5, 0.25] },
    // Ages measured from a later instant: only differences matter.
    { halfLife: 7, ages: [3, 10], ratios: [1, 0.5] },
  ])('halves a row\'s weight every half-life ($halfLife days) and scales to mean 1', ({ halfLife, ages, ratios }) => {
    const w = recencyWeights(Float64Array.from(ages), halfLife);
    ratios.forEach((r, i) => expect(w[i] / w[0]).toBeCloseTo(r, 6));
    expect(w.reduce((a, b) => a + b, 0) / w.length).toBeCloseTo(1, 6);
  });

  it.each([
    { halfLife: 0, ages: [0], message: 'half-life must be a positive number of days, got 0' },
    { halfLife: Number.NaN, ages: [0], message: 'half-life must be a positive number of days, got NaN' },
    { halfLife: 7, ages: [0, -1], message: 'row 1 has age -1 days' },
    { halfLife: 7, ages: [Number.POSITIVE_INFINITY], message: 'row 0 has age Infinity days' },
  ])('refuses half-life $halfLife with ages $ages, naming the value', ({ halfLife, ages, message }) => {
    expect(() => recencyWeights(Float64Array.from(ages), halfLife)).toThrow(message);
  });

  it('counts equal weights as every row and a dominant row as about one', () => {
    expect(effectiveRows(new Float32Array([1, 1, 1, 1]))).toBeCloseTo(4, 6);
    expect(effectiveRows(recencyWeights(Float64Array.from([0, 70, 70, 70]), 1))).toBeLessThan(1.01);
  });
});
