import { describe, expect, it } from 'vitest';
import { fitLogisticRegression, meanLogLoss, mulberry32, predictRow, type DesignMatrix, type FitOptions } from './logistic-regression';

/**
 * A linearly separable problem: label = 1 exactly when x + shift(category) > 0, with
 * shift +0.5 for category 0, -0.5 for category 1 and 0 for category 2 (code 3 is the
 * unused out-of-vocabulary slot).
 */
function separable(rows: number, seed = 7): DesignMatrix {
  const random = mulberry32(seed);
  const x = new Float32Array(rows);
  const category = new Int32Array(rows);
  const label = new Uint8Array(rows);
  const shift = [0.5, -0.5, 0];
  for (let i = 0; i < rows; i++) {
    x[i] = random() * 4 - 2;
    category[i] = Math.floor(random() * 3);
    label[i] = x[i] + shift[category[i]] > 0 ? 1 : 0;
  }
  return { rows, numeric: [x], categorical: [category], cardinalities: [4], label };
}

const options: FitOptions = { epochs: 30, learningRate: 0.1, l2: 1e-6, batchSize: 128, seed: 1 };

describe('fitLogisticRegression', () => {
  it('learns a separable toy problem', () => {
    const data = separable(4000);
    const { model, finalLoss } = fitLogisticRegression(data, options);
    let correct = 0;
    for (let i = 0; i < data.rows; i++) correct += (predictRow(model, data, i) >= 0.5 ? 1 : 0) === data.label[i] ? 1 : 0;
    expect(correct / data.rows).toBeGreaterThan(0.99);
    expect(finalLoss).toBeLessThan(0.1);
    expect(model.numeric[0]).toBeGreaterThan(0);
    // The category weights recover the order of the shifts.
    const [w0, w1, w2] = model.categorical[0];
    expect(w0).toBeGreaterThan(w2);
    expect(w2).toBeGreaterThan(w1);
  });

  it('reports one decreasing-ish loss per epoch', () => {
    const losses: number[] = [];
    fitLogisticRegression(separable(1000), { ...options, epochs: 5, onEpoch: (p) => losses.push(p.loss) });
    expect(losses).toHaveLength(5);
    expect(losses[4]).toBeLessThan(losses[0]);
  });

  it('gives identical weights for the same seed and different ones for another seed', () => {
    const data = separable(2000);
    const a = fitLogisticRegression(data, { ...options, epochs: 3 });
    const b = fitLogisticRegression(data, { ...options, epochs: 3 });
    const c = fitLogisticRegression(data, { ...options, epochs: 3, seed: 2 });
    expect(b.model).toEqual(a.model);
    expect(c.model).not.toEqual(a.model);
  });

  it('reports the regularised loss of the weights it returns', () => {
    const data = separable(1000);
    const { model, finalLoss } = fitLogisticRegression(data, { ...options, l2: 0.01 });
    expect(meanLogLoss(data, model, 0.01)).toBeCloseTo(finalLoss, 12);
  });

  it('stops with an AbortError when cancelled', () => {
    let polls = 0;
    expect(() => fitLogisticRegression(separable(1000), { ...options, isCancelled: () => ++polls > 3 })).toThrow(
      expect.objectContaining({ name: 'AbortError' }),
    );
  });

  it.each([
    ['zero epochs', { epochs: 0 }, /epochs/],
    ['a fractional batch size', { batchSize: 1.5 }, /batchSize/],
    ['a zero learning rate', { learningRate: 0 }, /learningRate/],
  ])('refuses %s', (_name, bad, message) => {
    expect(() => fitLogisticRegression(separable(10), { ...options, ...bad })).toThrow(message);
  });

  it('refuses a category code outside its cardinality', () => {
    const data = separable(10);
    data.categorical[0][3] = 4;
    expect(() => fitLogisticRegression(data, options)).toThrow(/code 4 at row 3/);
  });

  it('follows the recent rows when they weigh more: recency weights turn a reversed relation around', () => {
    // The older 3/4 of the rows say label = (x > 0), the newest 1/4 the reverse.
    const rows = 8000;
    const random = mulberry32(11);
    const x = Float32Array.from({ length: rows }, () => random() * 4 - 2);
    const label = Uint8Array.from(x, (v, i) => ((v > 0) !== (i >= 0.75 * rows) ? 1 : 0));
    const data: DesignMatrix = { rows, numeric: [x], categorical: [], cardinalities: [], label };
    const plain = fitLogisticRegression(data, options);
    // 20× weight on the newest quarter, scaled to mean 1.
    const weight = Float32Array.from({ length: rows }, (_, i) => (i >= 0.75 * rows ? 20 : 1) / ((0.75 + 0.25 * 20) / 1));
    const weighted = fitLogisticRegression({ ...data, weight }, options);
    expect(plain.model.numeric[0]).toBeGreaterThan(0);
    expect(weighted.model.numeric[0]).toBeLessThan(0);
    expect(() => fitLogisticRegression({ ...data, weight: weight.subarray(1) }, options)).toThrow(`weight has ${rows - 1} values for ${rows} rows`);
  });

  it('anchor: a pull toward the starting weights keeps what the new rows do not speak to and moves what they do', () => {
    // The starting point knows category 0 is strongly positive; 600 new rows say nothing about
    // category 0 (it never occurs in them) and that x > 0 is positive.
    const rows = 600;
    const random = mulberry32(5);
    const x = Float32Array.from({ length: rows }, () => random() * 4 - 2);
    const category = Int32Array.from({ length: rows }, () => 1 + Math.floor(random() * 2));
    const label = Uint8Array.from(x, (v) => (v > 0 ? 1 : 0));
    const data: DesignMatrix = { rows, numeric: [x], categorical: [category], cardinalities: [4], label };
    const initial = { bias: 0, numeric: [0], categorical: [[3, 0, 0, 0]] };
    const toZero = fitLogisticRegression(data, { ...options, l2: 0.05, initial });
    const anchored = fitLogisticRegression(data, { ...options, anchor: 0.05, initial });
    // Unseen in the new rows: l2 shrinks category 0 toward zero, the anchor keeps it.
    expect(toZero.model.categorical[0][0]).toBeLessThan(1.5);
    expect(anchored.model.categorical[0][0]).toBeGreaterThan(2.9);
    // Seen in every new row: x's weight moves from 0 to a clearly positive value either way.
    expect(anchored.model.numeric[0]).toBeGreaterThan(1);
    // The reported loss is the anchored objective: the penalty of the starting point is zero.
    const { numeric, categorical } = anchored.model;
    const pull = numeric[0] ** 2 + (categorical[0][0] - 3) ** 2 + categorical[0][1] ** 2 + categorical[0][2] ** 2 + categorical[0][3] ** 2;
    const shrink = numeric[0] ** 2 + categorical[0].reduce((a, c) => a + c * c, 0);
    expect(anchored.finalLoss).toBeCloseTo(meanLogLoss(data, anchored.model, 0) + 0.5 * options.l2 * shrink + 0.5 * 0.05 * pull, 6);
    expect(() => fitLogisticRegression(data, { ...options, anchor: 0.05 })).toThrow('anchor needs initial weights');
  });
});
