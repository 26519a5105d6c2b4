/**
 * L2-regularised logistic regression over standardised numeric columns and one-hot
 * categorical codes, fitted by mini-batch Adam. Pure math: no I/O, no clock, no global
 * randomness, so the same data, options and seed always give the same weights.
 * See ARCHITECTURE.md for why Adam over a seeded shuffle rather than L-BFGS.
 */

/** Training rows as columns, as produced by `loadEncodedData`. */
export interface DesignMatrix {
  rows: number;
  /** Standardised numeric columns. */
  numeric: Float32Array[];
  /** Category codes, column `c` in `[0, cardinalities[c])`. */
  categorical: Int32Array[];
  /** Number of distinct codes per categorical column (vocabulary size + 1 for out-of-vocabulary). */
  cardinalities: number[];
  /** 0/1 targets. */
  label: Uint8Array;
  /**
   * Per-row weights (e.g. recency weights, see `recencyWeights`), scaled to mean 1 so the
   * learning rate and l2 keep their meaning. @default every row weighs 1
   */
  weight?: Float32Array;
}

/** Fitted weights; the logit of a row is `bias + Σ numeric[j]·x_j + Σ categorical[c][code_c]`. */
export interface LogisticModel {
  bias: number;
  numeric: number[];
  categorical: number[][];
}

/** Reported after every epoch. */
export interface EpochProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean log loss of the epoch's mini-batches, measured before each batch's update. */
  loss: number;
}

/** Hyper-parameters and hooks of {@link fitLogisticRegression}. */
export interface FitOptions {
  /** Full passes over the data. */
  epochs: number;
  /** Adam step size at the start; it decays linearly to zero over the run. */
  learningRate: number;
  /** Weight of the `l2/2 · ‖w‖²` penalty added to the mean log loss; the bias is not penalised. */
  l2: number;
  batchSize: number;
  /** Seeds the row shuffle and the batch order. */
  seed: number;
  onEpoch?: (progress: EpochProgress) => void;
  /** Polled between batches; returning true aborts the fit with an `AbortError`. */
  isCancelled?: () => boolean;
  /**
   * Start from these weights (a warm start from the champion, mapped onto this data's encoding by
   * `warm-start.ts`) instead of zeros and the base rate's log-odds. @default a cold start
   */
  initial?: LogisticModel;
  /**
   * Weight of an `anchor/2 · ‖w − initial‖²` penalty (L2-SP) beside `l2`'s: a warm start then moves
   * away from the champion only as far as the new rows insist, so a retrain on the newest rows
   * alone keeps what the champion learned from older ones. Needs `initial`. @default 0
   */
  anchor?: number;
}

export interface FitResult {
  model: LogisticModel;
  /** Regularised mean log loss of the final weights over all rows. */
  finalLoss: number;
  epochs: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;
/** Rows per block when a full pass is made, so the logit scratch stays in cache. */
const PASS_BLOCK = 8192;
/** Consecutive rows that stay together when the rows are shuffled; see `shuffleChunks`. */
const CHUNK_ROWS = 64;

/** Fits the model; throws a `DOMException` named `AbortError` when `isCancelled` turns true. */
export function fitLogisticRegression(data: DesignMatrix, options: FitOptions): FitResult {
  validate(data, options);
  const layout = weightLayout(data);
  const random = mulberry32(options.seed >>> 0);

  // Starting at the base rate's log-odds saves the first epoch from learning the intercept.
  const w = options.initial ? pack(options.initial, layout) : new Float64Array(layout.size);
  if (!options.initial) w[0] = logOdds(data.label);
  const anchor = options.anchor ?? 0;
  const centre = Float64Array.from(w);
  const grad = new Float64Array(layout.size);
  const m = new Float64Array(layout.size);
  const v = new Float64Array(layout.size);
  const scratch = new Float64Array(Math.max(options.batchSize, PASS_BLOCK));

  const shuffled = shuffleChunks(data, random);
  const batches = Math.ceil(data.rows / options.batchSize);
  const order = identity(batches);
  const totalSteps = options.epochs * batches;
  let step = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffleInPlace(order, random);
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      if (options.isCancelled?.()) throw new DOMException('training was cancelled', 'AbortError');
      const start = order[b] * options.batchSize;
      const end = Math.min(data.rows, start + options.batchSize);
      const rows = end - start;
      grad.fill(0);
      lossSum += accumulate(shuffled, layout, w, grad, scratch, start, end);
      // Linear decay to zero lets the last epoch settle near the optimum instead of jittering around it.
      const rate = options.learningRate * (1 - step / totalSteps);
      step++;
      adamStep(w, grad, m, v, rows, options.l2, anchor, centre, rate, step);
    }
    options.onEpoch?.({ epoch, epochs: options.epochs, loss: lossSum / data.rows });
  }
  return { model: unpack(w, layout), finalLoss: objective(data, layout, w, options.l2, scratch, anchor, centre), epochs: options.epochs };
}

/** P(label = 1) for row `row` of `data` (for tests and in-process scoring). */
export function predictRow(model: LogisticModel, data: Pick<DesignMatrix, 'numeric' | 'categorical'>, row: number): number {
  let z = model.bias;
  for (let j = 0; j < model.numeric.length; j++) z += model.numeric[j] * data.numeric[j][row];
  for (let c = 0; c < model.categorical.length; c++) z += model.categorical[c][data.categorical[c][row]];
  return sigmoid(z);
}

/** Regularised mean log loss of `model` on `data`. */
export function meanLogLoss(data: DesignMatrix, model: LogisticModel, l2: number): number {
  const layout = weightLayout(data);
  return objective(data, layout, pack(model, layout), l2, new Float64Array(PASS_BLOCK));
}

/** Small, fast, seedable PRNG (mulberry32) returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Offsets of each parameter group in the flat weight vector: [bias, numeric…, cat0…, cat1…]. */
interface Layout {
  size: number;
  numericCount: number;
  categoricalOffsets: number[];
}

function weightLayout(data: Pick<DesignMatrix, 'numeric' | 'cardinalities'>): Layout {
  let offset = 1 + data.numeric.length;
  const categoricalOffsets = data.cardinalities.map((k) => {
    const at = offset;
    offset += k;
    return at;
  });
  return { size: offset, numericCount: data.numeric.length, categoricalOffsets };
}

/**
 * Adds the log-loss gradient (summed, not averaged) of rows [start, end) to `grad` and
 * returns their summed loss. Works column by column over the block through tiny helpers
 * that each see one array type: monomorphic, sequential loops are several times faster
 * in V8 than row-at-a-time code over a list of columns.
 */
function accumulate(
  data: DesignMatrix,
  layout: Layout,
  w: Float64Array,
  grad: Float64Array,
  z: Float64Array,
  start: number,
  end: number,
): number {
  const n = end - start;
  z.fill(w[0], 0, n);
  for (let j = 0; j < layout.numericCount; j++) addScaled(z, data.numeric[j].subarray(start, end), w[1 + j]);
  for (let c = 0; c < data.categorical.length; c++) {
    addGathered(z, data.categorical[c].subarray(start, end), w, layout.categoricalOffsets[c]);
  }
  const loss = data.weight
    ? weightedLossAndResidual(z, data.label.subarray(start, end), data.weight.subarray(start, end))
    : lossAndResidual(z, data.label.subarray(start, end));
  let residualSum = 0;
  for (let i = 0; i < n; i++) residualSum += z[i];
  grad[0] += residualSum;
  for (let j = 0; j < layout.numericCount; j++) grad[1 + j] += dot(z, data.numeric[j].subarray(start, end));
  for (let c = 0; c < data.categorical.length; c++) {
    scatterAdd(grad, data.categorical[c].subarray(start, end), z, layout.categoricalOffsets[c]);
  }
  return loss;
}

function addScaled(z: Float64Array, col: Float32Array, weight: number): void {
  for (let i = 0; i < col.length; i++) z[i] += weight * col[i];
}

function addGathered(z: Float64Array, codes: Int32Array, w: Float64Array, offset: number): void {
  for (let i = 0; i < codes.length; i++) z[i] += w[offset + codes[i]];
}

function dot(z: Float64Array, col: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < col.length; i++) sum += z[i] * col[i];
  return sum;
}

function scatterAdd(grad: Float64Array, codes: Int32Array, z: Float64Array, offset: number): void {
  for (let i = 0; i < codes.length; i++) grad[offset + codes[i]] += z[i];
}

/** Turns logits into residuals p - y in place and returns the summed log loss. */
function lossAndResidual(z: Float64Array, y: Uint8Array): number {
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const zi = z[i];
    const yi = y[i];
    // log(1 + e^-|z|) form: no overflow for large logits, no log(0).
    const e = Math.exp(-Math.abs(zi));
    loss += Math.log1p(e) + (zi > 0 ? (1 - yi) * zi : -yi * zi);
    z[i] = (zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
  }
  return loss;
}

/** {@link lossAndResidual} with each row's loss and residual scaled by its weight. */
function weightedLossAndResidual(z: Float64Array, y: Uint8Array, weight: Float32Array): number {
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const zi = z[i];
    const yi = y[i];
    const e = Math.exp(-Math.abs(zi));
    loss += weight[i] * (Math.log1p(e) + (zi > 0 ? (1 - yi) * zi : -yi * zi));
    z[i] = weight[i] * ((zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi);
  }
  return loss;
}

function adamStep(
  w: Float64Array,
  grad: Float64Array,
  m: Float64Array,
  v: Float64Array,
  rows: number,
  l2: number,
  anchor: number,
  centre: Float64Array,
  rate: number,
  step: number,
): void {
  const c1 = 1 - Math.pow(BETA1, step);
  const c2 = 1 - Math.pow(BETA2, step);
  for (let k = 0; k < w.length; k++) {
    const g = grad[k] / rows + (k > 0 ? l2 * w[k] + anchor * (w[k] - centre[k]) : 0);
    m[k] = BETA1 * m[k] + (1 - BETA1) * g;
    v[k] = BETA2 * v[k] + (1 - BETA2) * g * g;
    w[k] -= (rate * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + ADAM_EPS);
  }
}

function objective(data: DesignMatrix, layout: Layout, w: Float64Array, l2: number, scratch: Float64Array, anchor = 0, centre?: Float64Array): number {
  const grad = new Float64Array(layout.size);
  let loss = 0;
  for (let start = 0; start < data.rows; start += PASS_BLOCK) {
    loss += accumulate(data, layout, w, grad, scratch, start, Math.min(data.rows, start + PASS_BLOCK));
  }
  let penalty = 0;
  let pull = 0;
  for (let k = 1; k < w.length; k++) {
    penalty += w[k] * w[k];
    if (anchor > 0) pull += (w[k] - centre![k]) ** 2;
  }
  return loss / data.rows + 0.5 * l2 * penalty + 0.5 * anchor * pull;
}

/**
 * A copy of the rows with runs of {@link CHUNK_ROWS} consecutive rows in random order;
 * each epoch then visits contiguous mini-batches of it in a fresh random order. A
 * row-level shuffle costs a cache miss per value (more than the whole fit on millions of
 * rows) and re-shuffling every epoch costs as much as the epoch's arithmetic, while this
 * gives the same holdout AUC, within noise, on the flights data. See ARCHITECTURE.md.
 */
function shuffleChunks(data: DesignMatrix, random: () => number): DesignMatrix {
  const chunks = identity(Math.ceil(data.rows / CHUNK_ROWS));
  shuffleInPlace(chunks, random);
  const gather = <T extends Float32Array | Int32Array | Uint8Array>(from: T, to: T): T => {
    let at = 0;
    for (let k = 0; k < chunks.length; k++) {
      const start = chunks[k] * CHUNK_ROWS;
      const end = Math.min(data.rows, start + CHUNK_ROWS);
      // set() of a view is a native memcpy, so the generic helper stays fast.
      to.set(from.subarray(start, end) as ArrayLike<number>, at);
      at += end - start;
    }
    return to;
  };
  return {
    rows: data.rows,
    numeric: data.numeric.map((col) => gather(col, new Float32Array(data.rows))),
    categorical: data.categorical.map((col) => gather(col, new Int32Array(data.rows))),
    cardinalities: data.cardinalities,
    label: gather(data.label, new Uint8Array(data.rows)),
    ...(data.weight && { weight: gather(data.weight, new Float32Array(data.rows)) }),
  };
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function shuffleInPlace(values: Uint32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
}

function logOdds(label: Uint8Array): number {
  let positives = 0;
  for (let i = 0; i < label.length; i++) positives += label[i];
  // Clamped so an all-0 or all-1 label still starts from a finite intercept.
  const rate = Math.min(Math.max(positives / label.length, 1e-6), 1 - 1e-6);
  return Math.log(rate / (1 - rate));
}

function unpack(w: Float64Array, layout: Layout): LogisticModel {
  return {
    bias: w[0],
    numeric: Array.from(w.subarray(1, 1 + layout.numericCount)),
    categorical: layout.categoricalOffsets.map((off, c) =>
      Array.from(w.subarray(off, (layout.categoricalOffsets[c + 1] ?? layout.size))),
    ),
  };
}

function pack(model: LogisticModel, layout: Layout): Float64Array {
  const w = new Float64Array(layout.size);
  w[0] = model.bias;
  w.set(model.numeric, 1);
  model.categorical.forEach((weights, c) => w.set(weights, layout.categoricalOffsets[c]));
  return w;
}

function validate(data: DesignMatrix, options: FitOptions): void {
  if (data.rows <= 0) throw new RangeError('cannot fit on zero rows');
  if (data.categorical.length !== data.cardinalities.length) {
    throw new RangeError('categorical columns and cardinalities differ in length');
  }
  for (const [name, value] of Object.entries({ epochs: options.epochs, batchSize: options.batchSize })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (!(options.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${options.learningRate}`);
  if (!(options.l2 >= 0)) throw new RangeError(`l2 must be >= 0, got ${options.l2}`);
  if (options.anchor !== undefined && !(options.anchor >= 0)) throw new RangeError(`anchor must be >= 0, got ${options.anchor}`);
  if (options.anchor && !options.initial) throw new RangeError('anchor needs initial weights to pull toward');
  if (data.weight && data.weight.length !== data.rows) throw new RangeError(`weight has ${data.weight.length} values for ${data.rows} rows`);
  if (options.initial) {
    const { numeric, categorical } = options.initial;
    const fits = numeric.length === data.numeric.length && categorical.length === data.cardinalities.length && categorical.every((ws, c) => ws.length === data.cardinalities[c]);
    if (!fits) throw new RangeError('initial weights do not match the data\'s columns and cardinalities');
  }
  // An out-of-range code would read `undefined` and silently turn every weight into NaN.
  data.categorical.forEach((col, c) => {
    for (let i = 0; i < col.length; i++) {
      if (col[i] < 0 || col[i] >= data.cardinalities[c]) {
        throw new RangeError(`categorical column ${c} has code ${col[i]} at row ${i}, outside [0, ${data.cardinalities[c]})`);
      }
    }
  });
}
