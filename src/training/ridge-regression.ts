/**
 * Ridge (L2-regularised linear) regression over standardised numeric columns and one-hot
 * categorical codes, solved exactly: one pass accumulates the normal equations, then a
 * Cholesky factorisation solves them. Pure math and deterministic.
 *
 * Objective, as scikit-learn's `Ridge(alpha, fit_intercept=True)`:
 *   Σ_i (y_i − b − Σ_j x_ij·w_j − Σ_c v_c[code_ic])² + alpha·(‖w‖² + Σ_c ‖v_c‖²), the intercept b unpenalised.
 * With D = 1 + numeric + Σ cardinalities parameters the pass costs O(n·(1 + p + c)²) and the
 * solve O(D³/3), so a few hundred categories fit millions of rows in about a second.
 */

/** Training rows as columns, with a numeric target. */
export interface RegressionDesign {
  rows: number;
  numeric: Float32Array[];
  categorical: Int32Array[];
  /** Codes per categorical column (vocabulary size + 1 for out-of-vocabulary). */
  cardinalities: number[];
  target: Float64Array;
}

/** Fitted weights; the prediction is `bias + Σ numeric[j]·x_j + Σ categorical[c][code_c]`. */
export interface RidgeModel {
  bias: number;
  numeric: number[];
  categorical: number[][];
}

/** Options of {@link fitRidgeRegression}. */
export interface RidgeOptions {
  /**
   * Weight of the squared-norm penalty (scikit-learn's `alpha`); > 0, which also makes the
   * one-hot columns (collinear with the intercept) solvable.
   * @default 1
   */
  alpha?: number;
  /** Polled every 65,536 rows; returning true aborts the fit with an `AbortError`. */
  isCancelled?: () => boolean;
}

export interface RidgeFitResult {
  model: RidgeModel;
  /** Root mean squared error of the fit on its own training rows. */
  trainRmse: number;
}

/**
 * Fits the model.
 * @throws RangeError on empty data, alpha <= 0, a code out of range or a non-finite target.
 */
export function fitRidgeRegression(data: RegressionDesign, options: RidgeOptions = {}): RidgeFitResult {
  const alpha = options.alpha ?? 1;
  validate(data, alpha);
  const p = data.numeric.length;
  const offsets: number[] = [];
  let D = 1 + p;
  for (const card of data.cardinalities) {
    offsets.push(D);
    D += card;
  }
  // Upper triangle of ZᵀZ (row-major D×D) and Zᵀy; Z's row i has 1, x_i1..x_ip and a one per categorical column.
  const A = new Float64Array(D * D);
  const b = new Float64Array(D);
  const idx = new Int32Array(1 + p + data.categorical.length);
  const val = new Float64Array(idx.length);
  for (let j = 0; j < p; j++) idx[1 + j] = 1 + j;
  for (let i = 0; i < data.rows; i++) {
    if ((i & 0xffff) === 0 && options.isCancelled?.()) throw new DOMException('training was cancelled', 'AbortError');
    val[0] = 1;
    for (let j = 0; j < p; j++) val[1 + j] = data.numeric[j][i];
    for (let c = 0; c < data.categorical.length; c++) {
      idx[1 + p + c] = offsets[c] + data.categorical[c][i];
      val[1 + p + c] = 1;
    }
    const y = data.target[i];
    for (let a = 0; a < idx.length; a++) {
      const ia = idx[a];
      const va = val[a];
      b[ia] += va * y;
      for (let c = 0; c < idx.length; c++) {
        const ic = idx[c];
        // Only the upper triangle; two codes of different columns can land either way round.
        if (ic >= ia) A[ia * D + ic] += va * val[c];
      }
    }
  }
  for (let d = 1; d < D; d++) A[d * D + d] += alpha;
  const theta = solveCholesky(A, b, D);
  const model: RidgeModel = {
    bias: theta[0],
    numeric: Array.from(theta.subarray(1, 1 + p)),
    categorical: offsets.map((off, c) => Array.from(theta.subarray(off, off + data.cardinalities[c]))),
  };
  let squares = 0;
  for (let i = 0; i < data.rows; i++) {
    const r = data.target[i] - predictRidgeRow(model, data, i);
    squares += r * r;
  }
  return { model, trainRmse: Math.sqrt(squares / data.rows) };
}

/** The prediction for row `row` of `data` (in-process scoring and tests). */
export function predictRidgeRow(model: RidgeModel, data: Pick<RegressionDesign, 'numeric' | 'categorical'>, row: number): number {
  let y = model.bias;
  for (let j = 0; j < model.numeric.length; j++) y += model.numeric[j] * data.numeric[j][row];
  for (let c = 0; c < model.categorical.length; c++) y += model.categorical[c][data.categorical[c][row]];
  return y;
}

/** Solves A·x = b for symmetric positive definite A given by its upper triangle (row-major D×D). */
function solveCholesky(A: Float64Array, b: Float64Array, D: number): Float64Array {
  // Factor A = Uᵀ·U in place, U upper triangular.
  for (let i = 0; i < D; i++) {
    let diag = A[i * D + i];
    for (let k = 0; k < i; k++) diag -= A[k * D + i] * A[k * D + i];
    if (!(diag > 0)) throw new RangeError(`the normal equations are not positive definite at parameter ${i}; increase alpha`);
    const u = Math.sqrt(diag);
    A[i * D + i] = u;
    for (let j = i + 1; j < D; j++) {
      let s = A[i * D + j];
      for (let k = 0; k < i; k++) s -= A[k * D + i] * A[k * D + j];
      A[i * D + j] = s / u;
    }
  }
  // Uᵀ·t = b, then U·x = t.
  const x = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= A[k * D + i] * x[k];
    x[i] = s / A[i * D + i];
  }
  for (let i = D - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < D; k++) s -= A[i * D + k] * x[k];
    x[i] = s / A[i * D + i];
  }
  return x;
}

function validate(data: RegressionDesign, alpha: number): void {
  if (data.rows <= 0) throw new RangeError('cannot fit on zero rows');
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`alpha must be a finite number > 0, got ${alpha}`);
  if (data.categorical.length !== data.cardinalities.length) throw new RangeError('categorical columns and cardinalities differ in length');
  for (let i = 0; i < data.rows; i++) {
    if (!Number.isFinite(data.target[i])) throw new RangeError(`target at row ${i} is ${data.target[i]}, not a finite number`);
  }
  data.categorical.forEach((col, c) => {
    for (let i = 0; i < col.length; i++) {
      if (col[i] < 0 || col[i] >= data.cardinalities[c]) {
        throw new RangeError(`categorical column ${c} has code ${col[i]} at row ${i}, outside [0, ${data.cardinalities[c]})`);
      }
    }
  });
}
