/**
 * A multiclass or regression prediction in the JSON of `/v1/models/:name/predict` and KServe V1
 * `:predict` (binary models keep their `{score, label}` and bare-score answers): multiclass
 * `{label: <class>, probabilities: {<class>: p, ...}}` in the model's class order, regression
 * `{value}`.
 */
import type { ServedTask } from './model-task';

export type MulticlassPrediction = { label: string; probabilities: Record<string, number> };
export type RegressionPrediction = { value: number };

export function taskPredictions(task: Exclude<ServedTask, { task: 'binary' }>, scores: Float32Array): MulticlassPrediction[] | RegressionPrediction[] {
  if (task.task === 'regression') return Array.from(scores, (value) => ({ value }));
  const { classes } = task;
  const k = classes.length;
  const out = new Array<MulticlassPrediction>(scores.length / k);
  for (let r = 0; r < out.length; r++) {
    // No prototype: a class may be named "__proto__".
    const probabilities = Object.create(null) as Record<string, number>;
    let top = 0;
    for (let c = 0; c < k; c++) {
      const p = scores[r * k + c];
      probabilities[classes[c]] = p;
      if (p > scores[r * k + top]) top = c;
    }
    out[r] = { label: classes[top], probabilities };
  }
  return out;
}
