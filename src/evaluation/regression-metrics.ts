/**
 * Regression metrics over predicted values. Pure functions, like `metrics.ts`.
 *
 * Formulas, for n rows, targets y_i, predictions ŷ_i and residuals r_i = y_i − ŷ_i, ȳ the mean target:
 * - RMSE = √((1/n) Σ r_i²); MAE = (1/n) Σ |r_i|; mean residual (bias) = (1/n) Σ r_i
 * - R² = 1 − Σ r_i² / Σ (y_i − ȳ)²; NaN when every target is equal (the ratio is undefined)
 * - MAPE = (1/n) Σ |r_i| / |y_i|, as a fraction (0.1 = 10 %); null when any target is 0, where it is
 *   undefined (scikit-learn would divide by its float epsilon instead and report a huge number)
 * - residual quantiles at 5, 25, 50, 75 and 95 %: linear interpolation between order statistics,
 *   q(p) = r_(⌊h⌋) + (h − ⌊h⌋)(r_(⌊h⌋+1) − r_(⌊h⌋)) with h = (n − 1)p over the sorted residuals
 *   (NumPy's default `linear` method, Hyndman & Fan type 7).
 */

/** Quality figures of one regression model on one dataset. */
export interface RegressionMetrics {
  rows: number;
  rmse: number;
  mae: number;
  r2: number;
  /** Null when a target is 0. */
  mape: number | null;
  meanResidual: number;
  /** Quantiles of y − ŷ, keyed `p5 p25 p50 p75 p95`. */
  residualQuantiles: Record<'p5' | 'p25' | 'p50' | 'p75' | 'p95', number>;
}

type Values = Float32Array | Float64Array | number[];

export const RESIDUAL_QUANTILES = { p5: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95 } as const;

/**
 * Computes {@link RegressionMetrics}.
 * @throws RangeError on mismatched lengths or a non-finite target or prediction.
 */
export function computeRegressionMetrics(predictions: Values, targets: Values): RegressionMetrics {
  const n = targets.length;
  if (predictions.length !== n) throw new RangeError(`predictions has ${predictions.length} entries but targets has ${n}`);
  const residuals = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(targets[i]) || !Number.isFinite(predictions[i])) {
      throw new RangeError(`row ${i} has target ${targets[i]} and prediction ${predictions[i]}; both must be finite numbers`);
    }
    mean += targets[i];
  }
  mean /= n;
  let squares = 0;
  let absolute = 0;
  let sum = 0;
  let total = 0;
  let percentage = 0;
  let zeroTarget = false;
  for (let i = 0; i < n; i++) {
    const r = targets[i] - predictions[i];
    residuals[i] = r;
    squares += r * r;
    absolute += Math.abs(r);
    sum += r;
    total += (targets[i] - mean) * (targets[i] - mean);
    if (targets[i] === 0) zeroTarget = true;
    else percentage += Math.abs(r) / Math.abs(targets[i]);
  }
  residuals.sort();
  const residualQuantiles = Object.fromEntries(
    Object.entries(RESIDUAL_QUANTILES).map(([key, p]) => [key, quantileSorted(residuals, p)]),
  ) as RegressionMetrics['residualQuantiles'];
  return {
    rows: n,
    rmse: Math.sqrt(squares / n),
    mae: absolute / n,
    r2: total > 0 ? 1 - squares / total : NaN,
    mape: zeroTarget || n === 0 ? null : percentage / n,
    meanResidual: sum / n,
    residualQuantiles,
  };
}

/** The `p` quantile of ascending `sorted` values by linear interpolation (NumPy `linear`); NaN when empty. */
export function quantileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
