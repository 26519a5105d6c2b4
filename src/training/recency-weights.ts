/**
 * Recency weights for continuous training: a row `a` days older than the newest row weighs
 * `0.5^(a / halfLife)`, so a drifted regime dominates a training window within a few
 * half-lives instead of after the whole window has turned over (docs/continuous-training.md).
 * Pure: the built-in trainer's thread applies it to the ages `loadEncodedData` reads.
 */

/**
 * Each row's weight from its age in days, scaled to mean 1 so the learning rate and l2 mean
 * what they mean without weights.
 * @throws RangeError for a half-life that is not a positive number or an age that is negative or not finite
 */
export function recencyWeights(ageDays: Float64Array, halfLifeDays: number): Float32Array {
  if (!(halfLifeDays > 0) || !Number.isFinite(halfLifeDays)) throw new RangeError(`half-life must be a positive number of days, got ${halfLifeDays}`);
  let newest = Infinity;
  for (let i = 0; i < ageDays.length; i++) {
    const age = ageDays[i];
    if (!(age >= 0) || !Number.isFinite(age)) throw new RangeError(`row ${i} has age ${age} days; ages must be finite and >= 0`);
    newest = Math.min(newest, age);
  }
  const weights = new Float32Array(ageDays.length);
  let sum = 0;
  for (let i = 0; i < ageDays.length; i++) {
    const w = Math.pow(0.5, (ageDays[i] - newest) / halfLifeDays);
    weights[i] = w;
    sum += w;
  }
  // The newest row weighs 1 before scaling, so the sum is at least 1 and the scale finite.
  const scale = ageDays.length / sum;
  for (let i = 0; i < weights.length; i++) weights[i] *= scale;
  return weights;
}

/** Kish's effective sample size (Σw)²/Σw²: how many equally weighted rows the weights are worth. */
export function effectiveRows(weights: Float32Array): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    squares += weights[i] * weights[i];
  }
  return squares > 0 ? (sum * sum) / squares : 0;
}
