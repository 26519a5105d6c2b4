/**
 * Per-row values whose mean is a metric, so two models can be compared row by row: log
 * loss and Brier score per row, and 0/1 correctness for accuracy. Same definitions as
 * `computeMetrics` (log loss clipped at 1e-15, a row predicted positive at score ≥ threshold).
 */
const EPS = 1e-15;

export function computePerRow(metric: 'logLoss' | 'brier' | 'accuracy', scores: Float32Array | Float64Array, labels: Uint8Array, threshold: number): Float64Array {
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const p = scores[i];
    const y = labels[i] ? 1 : 0;
    if (metric === 'logLoss') {
      const clipped = Math.min(Math.max(p, EPS), 1 - EPS);
      out[i] = -(y ? Math.log(clipped) : Math.log(1 - clipped));
    } else if (metric === 'brier') {
      out[i] = (p - y) * (p - y);
    } else {
      out[i] = (p >= threshold ? 1 : 0) === y ? 1 : 0;
    }
  }
  return out;
}
