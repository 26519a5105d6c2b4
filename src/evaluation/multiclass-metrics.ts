/**
 * Multiclass metrics over predicted class probabilities. Pure functions, like `metrics.ts`.
 *
 * Formulas, for n rows, K classes, true class y_i, probabilities p_ik and prediction
 * ŷ_i = argmax_k p_ik (the first maximum, as ONNX ArgMax and NumPy do):
 * - log loss = −(1/n) Σ_i log(clip(p_{i,y_i}, 1e-15, 1))
 * - accuracy = (1/n) Σ_i [ŷ_i = y_i]
 * - per class k: support_k = #{y_i = k}, predicted_k = #{ŷ_i = k}, tp_k = #{y_i = ŷ_i = k};
 *   recall_k = tp_k / support_k, precision_k = tp_k / predicted_k (0 when the denominator is 0),
 *   F1_k = 2·precision_k·recall_k / (precision_k + recall_k) (0 when both are 0)
 * - macro F1 = (1/K) Σ_k F1_k over all K classes (a class absent from the rows counts as 0)
 * - weighted F1 = Σ_k (support_k / n) F1_k
 * - confusion[t][p] = #{y_i = t, ŷ_i = p} (rows are true classes, as in scikit-learn)
 * The zero conventions are scikit-learn's with `zero_division=0` and `labels=range(K)`.
 */

/** Quality figures of one multiclass model on one dataset. */
export interface MulticlassMetrics {
  rows: number;
  classes: number;
  logLoss: number;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  /** Per class, in class order. */
  perClass: Array<{ support: number; precision: number; recall: number; f1: number }>;
  /** `confusion[true][predicted]` row counts. */
  confusion: number[][];
}

const EPS = 1e-15;

type Probabilities = Float32Array | Float64Array | number[];
type ClassIndices = Int32Array | Uint8Array | number[];

/** The predicted class of each row: the first class with the highest probability. */
export function argmaxRows(probabilities: Probabilities, classes: number): Int32Array {
  const n = probabilities.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[i * classes + k] > probabilities[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}

/**
 * Computes {@link MulticlassMetrics}. `probabilities` is row-major `[n, classes]` (the ONNX
 * `probabilities` output as it comes); `labels` are class indices in `[0, classes)`.
 * @throws RangeError on mismatched lengths or a label outside the classes.
 */
export function computeMulticlassMetrics(probabilities: Probabilities, labels: ClassIndices, classes: number): MulticlassMetrics {
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`classes must be an integer >= 2, got ${classes}`);
  const n = labels.length;
  if (probabilities.length !== n * classes) {
    throw new RangeError(`probabilities has ${probabilities.length} entries, expected ${n} rows × ${classes} classes`);
  }
  const predicted = argmaxRows(probabilities, classes);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let logLoss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < classes && Number.isInteger(y))) throw new RangeError(`label ${y} at row ${i} is not a class index in [0, ${classes})`);
    logLoss -= Math.log(Math.min(Math.max(probabilities[i * classes + y], EPS), 1));
    confusion[y][predicted[i]]++;
    if (predicted[i] === y) correct++;
  }
  const perClass = confusion.map((row, k) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predictedK = confusion.reduce((sum, r) => sum + r[k], 0);
    const tp = row[k];
    const precision = predictedK > 0 ? tp / predictedK : 0;
    const recall = support > 0 ? tp / support : 0;
    return { support, precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
  });
  return {
    rows: n,
    classes,
    logLoss: n > 0 ? logLoss / n : NaN,
    accuracy: n > 0 ? correct / n : NaN,
    macroF1: perClass.reduce((sum, c) => sum + c.f1, 0) / classes,
    weightedF1: n > 0 ? perClass.reduce((sum, c) => sum + c.support * c.f1, 0) / n : NaN,
    perClass,
    confusion,
  };
}
