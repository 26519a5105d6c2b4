import { describe, expect, it } from 'vitest';
import { delongTest, pairedMean } from '../evaluation/paired-tests';
import { binaryLogLoss } from './label-window';
import { PairedWindow } from './paired-window';

/** Two binary models on the same rows: both follow a shared signal, the shadow with its own noise. */
function rows(n: number, seed = 3) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const served: number[] = [];
  const shadow: number[] = [];
  const labels: (0 | 1)[] = [];
  for (let i = 0; i < n; i++) {
    const x = rand() * 4 - 2;
    const y = rand() < 1 / (1 + Math.exp(-2 * x)) ? 1 : 0;
    served.push(Math.fround(1 / (1 + Math.exp(-2 * x))));
    shadow.push(Math.fround(1 / (1 + Math.exp(-(1.5 * x + (rand() - 0.5))))));
    labels.push(y);
  }
  return { served, shadow, labels };
}

describe('PairedWindow', () => {
  it('reports the paired log-loss difference and DeLong\'s AUC difference of the offline paired tests', () => {
    const { served, shadow, labels } = rows(400);
    const w = new PairedWindow(1000);
    for (let i = 0; i < labels.length; i++) w.add(i, 7, { score: served[i], label: labels[i] }, { score: shadow[i], label: labels[i] });
    const p = w.summarize(7);
    const d = delongTest(shadow, served, labels);
    const m = pairedMean(shadow.map((q, i) => binaryLogLoss(q, labels[i])), served.map((q, i) => binaryLogLoss(q, labels[i])));
    expect(p).toMatchObject({ against: 7, labels: 400, positives: labels.filter((y) => y === 1).length, loss: 'logLoss' });
    expect(p.aucDifference!.estimate).toBeCloseTo(d.difference, 12);
    expect(p.aucDifference!.standardError).toBeCloseTo(d.standardError, 12);
    expect(p.lossDifference!.mean).toBeCloseTo(m.mean, 12);
    expect(p.lossDifference!.standardError).toBeCloseTo(m.standardError, 12);
    // Pairing removes the noise both share: the paired standard error is well below the two-sample one.
    const sd = (xs: number[]) => {
      const mu = xs.reduce((a, b) => a + b) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / (xs.length - 1));
    };
    const twoSample = Math.hypot(sd(shadow.map((q, i) => binaryLogLoss(q, labels[i]))), sd(served.map((q, i) => binaryLogLoss(q, labels[i])))) / Math.sqrt(400);
    expect(p.lossDifference!.standardError).toBeLessThan(0.5 * twoSample);
    expect(d.standardError).toBeLessThan(Math.hypot(Math.sqrt(d.varianceA), Math.sqrt(d.varianceB)));
  });

  it('pairs only with the version asked for and within the time range, and keeps the last `capacity` rows', () => {
    const w = new PairedWindow(3);
    w.add(1, 7, { score: 0.9, label: 1 }, { score: 0.8, label: 1 });
    w.add(2, 8, { score: 0.2, label: 0 }, { score: 0.3, label: 0 });
    w.add(3, 7, { score: 0.1, label: 0 }, { score: 0.4, label: 0 });
    w.add(4, 7, { score: 0.7, label: 1 }, { score: 0.6, label: 1 });
    expect(w.summarize(7).labels).toBe(2);
    expect(w.summarize(8).labels).toBe(1);
    expect(w.summarize(7, 4).labels).toBe(1);
    expect(w.summarize(7, 4)).toMatchObject({ lossDifference: null, aucDifference: null });
  });

  it('compares absolute errors for regression and log loss of the true class for multiclass, without an AUC', () => {
    const reg = new PairedWindow(10, 'regression');
    reg.add(0, 1, { score: 1, label: 0 }, { score: -3, label: 0 });
    reg.add(0, 1, { score: -2, label: 0 }, { score: 2, label: 0 });
    expect(reg.summarize(1)).toMatchObject({ loss: 'absoluteError', lossDifference: { mean: 1 }, aucDifference: null });
    const multi = new PairedWindow(10, 'multiclass');
    multi.add(0, 1, { score: 0.5, label: 1 }, { score: 0.25, label: 0 });
    multi.add(0, 1, { score: 0.5, label: 1 }, { score: 0.25, label: 0 });
    expect(multi.summarize(1).lossDifference!.mean).toBeCloseTo(Math.log(2), 6);
  });
});
