import { describe, expect, it } from 'vitest';
import { calibrationCurve, computeMetrics, rocAuc, rocCurve } from './metrics';

// Every expected value below is worked out by hand in the comment beside it.
describe('computeMetrics', () => {
  it.each([
    {
      name: 'a small mixed sample',
      scores: [0.1, 0.4, 0.35, 0.8],
      labels: [0, 0, 1, 1],
      expected: {
        rows: 4,
        positiveRate: 0.5,
        auc: 0.75, // 3 of 4 positive/negative pairs ordered correctly
        logLoss: -(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4,
        accuracy: 0.75, // only 0.8 is predicted positive: tp 1, tn 2, fn 1
        precision: 1,
        recall: 0.5,
        f1: 2 / 3,
        brier: (0.01 + 0.16 + 0.4225 + 0.04) / 4,
        ece: (0.1 + 0.4 + 0.65 + 0.2) / 4, // each score alone in its bin
      },
    },
    {
      name: 'all scores tied',
      scores: [0.5, 0.5, 0.5, 0.5],
      labels: [0, 1, 0, 1],
      expected: {
        rows: 4,
        positiveRate: 0.5,
        auc: 0.5, // ties count half
        logLoss: Math.log(2),
        accuracy: 0.5, // score >= threshold: everything predicted positive
        precision: 0.5,
        recall: 1,
        f1: 2 / 3,
        brier: 0.25,
        ece: 0, // one bin, mean score 0.5 = positive rate 0.5
      },
    },
    {
      name: 'confident and wrong (log loss clipped at 1e-15)',
      scores: [0, 1],
      labels: [1, 0],
      expected: {
        rows: 2,
        positiveRate: 0.5,
        auc: 0,
        // Both probabilities clip to 1e-15 away from the truth (1 - 1e-15 is inexact in binary).
        logLoss: -(Math.log(1e-15) + Math.log(1 - (1 - 1e-15))) / 2,
        accuracy: 0,
        precision: 0,
        recall: 0,
        f1: 0,
        brier: 1,
        ece: 1,
      },
    },
  ])('matches hand-computed values for $name', ({ scores, labels, expected }) => {
    const metrics = computeMetrics(Float32Array.from(scores), Uint8Array.from(labels));
    for (const [key, value] of Object.entries(expected)) {
      expect(metrics[key as keyof typeof metrics], key).toBeCloseTo(value, 6);
    }
  });

  it('moves predictions with the threshold', () => {
    const metrics = computeMetrics([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.3);
    // 0.4, 0.35 and 0.8 are positive now: tp 2, fp 1, tn 1.
    expect(metrics.precision).toBeCloseTo(2 / 3, 12);
    expect(metrics.recall).toBe(1);
    expect(metrics.accuracy).toBe(0.75);
  });

  it('rejects scores and labels of different lengths', () => {
    expect(() => computeMetrics([0.1, 0.2], [1])).toThrow(RangeError);
  });
});

describe('rocAuc', () => {
  it.each([
    ['perfect ranking', [0.2, 0.9], [0, 1], 1],
    ['inverted ranking', [0.9, 0.2], [0, 1], 0],
    ['a tie between a positive and a negative', [0.2, 0.6, 0.6, 0.9], [0, 0, 1, 1], 0.875], // (1 + 0.5 + 2) / 4
    ['only one class', [0.2, 0.6], [1, 1], Number.NaN],
  ])('scores %s', (_name, scores, labels, expected) => {
    expect(rocAuc(scores, labels)).toBe(expected);
  });
});

describe('rocCurve', () => {
  it('walks every threshold from (0,0) to (1,1)', () => {
    expect(rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
  });

  it('downsamples to the requested number of points, keeping both ends', () => {
    const scores = Array.from({ length: 10_000 }, (_, i) => i / 10_000);
    const labels = scores.map((_, i) => (i % 3 === 0 ? 1 : 0));
    const curve = rocCurve(scores, labels, 11);
    expect(curve).toHaveLength(11);
    expect(curve[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(curve[10]).toEqual({ fpr: 1, tpr: 1 });
  });
});

describe('calibrationCurve', () => {
  it('bins scores into tenths with their mean score and observed positive share, leaving out empty bins', () => {
    expect(calibrationCurve([0.05, 0.15, 0.12, 0.95, 1], [0, 1, 0, 1, 1])).toEqual([
      { from: 0, rows: 1, meanScore: 0.05, positiveShare: 0 },
      { from: 0.1, rows: 2, meanScore: (0.15 + 0.12) / 2, positiveShare: 0.5 },
      { from: 0.9, rows: 2, meanScore: 0.975, positiveShare: 1 },
    ]);
  });
});
