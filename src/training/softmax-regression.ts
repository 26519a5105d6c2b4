/**
 * L2-regularised multinomial logistic (softmax) regression over standardised numeric
 * columns and one-hot categorical codes, fitted by mini-batch Adam: the multiclass sibling
 * of `logistic-regression.ts`, with the same seeded chunk shuffle and linearly decaying step.
 * Pure math: the same data, options and seed always give the same weights.
 *
 * Objective: (1/n) Σ_i −log softmax(z_i)_{y_i} + (l2/2)·‖W‖², with logits
 * z_ik = b_k + Σ_j x_ij·W_num[j][k] + Σ_c W_cat[c][code_ic][k]; biases are not penalised.
 * scikit-learn's `LogisticRegression(C)` minimises n times this objective with l2 = 1/(C·n).
 */
import type { FitOptions } from './logistic-regression';
import { mulberry32 } from './logistic-regression';

/** Training rows as columns, with class indices as the label. */
export interface MulticlassDesign {
  rows: number;
  numeric: Float32Array[];
  categorical: Int32Array[];
  /** Codes per categorical column (vocabulary size + 1 for out-of-vocabulary). */
  cardinalities: number[];
  /** Class index per row, in `[0, classes)`. */
  label: Int32Array;
  classes: number;
}

/** Fitted weights; class k's logit is `bias[k] + Σ numeric[j][k]·x_j + Σ categorical[c][code_c][k]`. */
export interface SoftmaxModel {
  bias: number[];
  numeric: number[][];
  categorical: number[][][];
}

export interface SoftmaxFitResult {
  model: SoftmaxModel;
  /** Regularised mean log loss of the final weights over all rows. */
  finalLoss: number;
  epochs: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;
const CHUNK_ROWS = 64;

/**
 * Fits the model; throws a `DOMException` named `AbortError` when `options.isCancelled` turns true.
 * @throws RangeError on empty data, fewer than 2 classes, a class index or code out of range, or bad options.
 */
export function fitSoftmaxRegression(data: MulticlassDesign, options: FitOptions): SoftmaxFitResult {
  validate(data, options);
  const K = data.classes;
  const offsets = slotOffsets(data);
  const slots = offsets.size;
  const random = mulberry32(options.seed >>> 0);
  // Weights by slot then class: w[slot * K + k]. Slot 0 is the bias.
  const w = new Float64Array(slots * K);
  const prior = classPriors(data);
  for (let k = 0; k < K; k++) w[k] = Math.log(prior[k]);
  const grad = new Float64Array(w.length);
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  const z = new Float64Array(options.batchSize * K);

  const shuffled = shuffleChunks(data, random);
  const batches = Math.ceil(data.rows / options.batchSize);
  const order = Array.from({ length: batches }, (_, b) => b);
  const totalSteps = options.epochs * batches;
  let step = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffleInPlace(order, random);
    let lossSum = 0;
    for (const b of order) {
      if (options.isCancelled?.()) throw new DOMException('training was cancelled', 'AbortError');
      const start = b * options.batchSize;
      const end = Math.min(data.rows, start + options.batchSize);
      grad.fill(0);
      lossSum += accumulate(shuffled, offsets, w, grad, z, start, end);
      const rate = options.learningRate * (1 - step / totalSteps);
      step++;
      const c1 = 1 - Math.pow(BETA1, step);
      const c2 = 1 - Math.pow(BETA2, step);
      const rows = end - start;
      for (let q = 0; q < w.length; q++) {
        const g = grad[q] / rows + (q >= K ? options.l2 * w[q] : 0);
        m[q] = BETA1 * m[q] + (1 - BETA1) * g;
        v[q] = BETA2 * v[q] + (1 - BETA2) * g * g;
        w[q] -= (rate * (m[q] / c1)) / (Math.sqrt(v[q] / c2) + ADAM_EPS);
      }
    }
    options.onEpoch?.({ epoch, epochs: options.epochs, loss: lossSum / data.rows });
  }
  return { model: unpack(w, offsets, K), finalLoss: objective(data, offsets, w, options.l2), epochs: options.epochs };
}

/** Class probabilities of row `row` of `data` (in-process scoring and tests). */
export function predictSoftmaxRow(model: SoftmaxModel, data: Pick<MulticlassDesign, 'numeric' | 'categorical'>, row: number): number[] {
  const z = model.bias.slice();
  for (let j = 0; j < model.numeric.length; j++) {
    const x = data.numeric[j][row];
    for (let k = 0; k < z.length; k++) z[k] += model.numeric[j][k] * x;
  }
  for (let c = 0; c < model.categorical.length; c++) {
    const weights = model.categorical[c][data.categorical[c][row]];
    for (let k = 0; k < z.length; k++) z[k] += weights[k];
  }
  return softmax(z);
}

function softmax(z: number[]): number[] {
  const max = Math.max(...z);
  const e = z.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

interface Offsets {
  size: number;
  categorical: number[];
}

function slotOffsets(data: Pick<MulticlassDesign, 'numeric' | 'cardinalities'>): Offsets {
  let at = 1 + data.numeric.length;
  const categorical = data.cardinalities.map((card) => {
    const here = at;
    at += card;
    return here;
  });
  return { size: at, categorical };
}

/** Adds the summed gradient of rows [start, end) to `grad`; returns their summed log loss. */
function accumulate(data: MulticlassDesign, offsets: Offsets, w: Float64Array, grad: Float64Array, z: Float64Array, start: number, end: number): number {
  const K = data.classes;
  const n = end - start;
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) z[i * K + k] = w[k];
  for (let j = 0; j < data.numeric.length; j++) {
    const col = data.numeric[j];
    const base = (1 + j) * K;
    for (let i = 0; i < n; i++) {
      const x = col[start + i];
      for (let k = 0; k < K; k++) z[i * K + k] += x * w[base + k];
    }
  }
  for (let c = 0; c < data.categorical.length; c++) {
    const col = data.categorical[c];
    const off = offsets.categorical[c];
    for (let i = 0; i < n; i++) {
      const base = (off + col[start + i]) * K;
      for (let k = 0; k < K; k++) z[i * K + k] += w[base + k];
    }
  }
  // Logits become residuals p − onehot(y), in place.
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (z[row + k] > max) max = z[row + k];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(z[row + k] - max);
      z[row + k] = e;
      sum += e;
    }
    const y = data.label[start + i];
    loss -= Math.log(Math.max(z[row + y] / sum, 1e-300));
    for (let k = 0; k < K; k++) z[row + k] = z[row + k] / sum - (k === y ? 1 : 0);
  }
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) grad[k] += z[i * K + k];
  for (let j = 0; j < data.numeric.length; j++) {
    const col = data.numeric[j];
    const base = (1 + j) * K;
    for (let i = 0; i < n; i++) {
      const x = col[start + i];
      for (let k = 0; k < K; k++) grad[base + k] += x * z[i * K + k];
    }
  }
  for (let c = 0; c < data.categorical.length; c++) {
    const col = data.categorical[c];
    const off = offsets.categorical[c];
    for (let i = 0; i < n; i++) {
      const base = (off + col[start + i]) * K;
      for (let k = 0; k < K; k++) grad[base + k] += z[i * K + k];
    }
  }
  return loss;
}

function objective(data: MulticlassDesign, offsets: Offsets, w: Float64Array, l2: number): number {
  const block = 4096;
  const grad = new Float64Array(w.length);
  const z = new Float64Array(block * data.classes);
  let loss = 0;
  for (let start = 0; start < data.rows; start += block) loss += accumulate(data, offsets, w, grad, z, start, Math.min(data.rows, start + block));
  let penalty = 0;
  for (let q = data.classes; q < w.length; q++) penalty += w[q] * w[q];
  return loss / data.rows + 0.5 * l2 * penalty;
}

function classPriors(data: MulticlassDesign): number[] {
  const counts = new Array<number>(data.classes).fill(0);
  for (let i = 0; i < data.rows; i++) counts[data.label[i]]++;
  // Clamped so a class absent from the training rows still starts from a finite bias.
  return counts.map((c) => Math.max(c / data.rows, 1e-6));
}

/** Runs of CHUNK_ROWS consecutive rows in a seeded random order (see logistic-regression.ts for why chunks). */
function shuffleChunks(data: MulticlassDesign, random: () => number): MulticlassDesign {
  const chunks = Array.from({ length: Math.ceil(data.rows / CHUNK_ROWS) }, (_, c) => c);
  shuffleInPlace(chunks, random);
  const gather = <T extends Float32Array | Int32Array>(from: T, to: T): T => {
    let at = 0;
    for (const chunk of chunks) {
      const start = chunk * CHUNK_ROWS;
      const end = Math.min(data.rows, start + CHUNK_ROWS);
      to.set(from.subarray(start, end) as ArrayLike<number>, at);
      at += end - start;
    }
    return to;
  };
  return {
    ...data,
    numeric: data.numeric.map((col) => gather(col, new Float32Array(data.rows))),
    categorical: data.categorical.map((col) => gather(col, new Int32Array(data.rows))),
    label: gather(data.label, new Int32Array(data.rows)),
  };
}

function shuffleInPlace(values: number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
}

function unpack(w: Float64Array, offsets: Offsets, K: number): SoftmaxModel {
  const slot = (s: number) => Array.from(w.subarray(s * K, (s + 1) * K));
  const numericCount = (offsets.categorical[0] ?? offsets.size) - 1;
  return {
    bias: slot(0),
    numeric: Array.from({ length: numericCount }, (_, j) => slot(1 + j)),
    categorical: offsets.categorical.map((off, c) => {
      const end = offsets.categorical[c + 1] ?? offsets.size;
      return Array.from({ length: end - off }, (_, code) => slot(off + code));
    }),
  };
}

function validate(data: MulticlassDesign, options: FitOptions): void {
  if (data.rows <= 0) throw new RangeError('cannot fit on zero rows');
  if (!Number.isInteger(data.classes) || data.classes < 2) throw new RangeError(`classes must be an integer >= 2, got ${data.classes}`);
  if (data.categorical.length !== data.cardinalities.length) throw new RangeError('categorical columns and cardinalities differ in length');
  for (const [name, value] of Object.entries({ epochs: options.epochs, batchSize: options.batchSize })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (!(options.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${options.learningRate}`);
  if (!(options.l2 >= 0)) throw new RangeError(`l2 must be >= 0, got ${options.l2}`);
  for (let i = 0; i < data.rows; i++) {
    const y = data.label[i];
    if (y < 0 || y >= data.classes) throw new RangeError(`row ${i} has class index ${y}, outside [0, ${data.classes})`);
  }
  data.categorical.forEach((col, c) => {
    for (let i = 0; i < col.length; i++) {
      if (col[i] < 0 || col[i] >= data.cardinalities[c]) {
        throw new RangeError(`categorical column ${c} has code ${col[i]} at row ${i}, outside [0, ${data.cardinalities[c]})`);
      }
    }
  });
}
