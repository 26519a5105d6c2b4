/**
 * What the evaluate step knows about one multiclass or regression model on one holdout: the
 * task's metrics (formulas in multiclass-metrics.ts and regression-metrics.ts) flattened into
 * the names gates and the primary metric use, the inference cost, the same metrics per slice,
 * the per-class or residual detail for the report, and per-row values for the paired test.
 * The binary counterpart is evaluate-model.ts.
 */
import type { LoadTarget } from '../training/load-training-data';
import type { Comparison } from '../pipeline/step-params';
import { argmaxRows, computeMulticlassMetrics, type MulticlassMetrics } from './multiclass-metrics';
import { computeRegressionMetrics, type RegressionMetrics } from './regression-metrics';
import { scoreTaskModel, type TaskScore } from './score-task-model';
import type { SliceKeys } from './slices';

/** One slice's rows and task metrics (null below `minRows`). */
export interface TaskSliceResult {
  value: string;
  rows: number;
  metrics: Record<string, number> | null;
}

/** The figures behind the headline metrics, for the report. */
export type TaskDetail =
  | {
      task: 'multiclass';
      classes: string[];
      perClass: Array<{ class: string; support: number; precision: number; recall: number; f1: number }>;
      /** `confusion[true][predicted]` row counts, classes in `classes` order. */
      confusion: number[][];
    }
  | { task: 'regression'; meanResidual: number; residualQuantiles: RegressionMetrics['residualQuantiles']; mape: number | null };

export interface TaskEvaluation {
  rows: number;
  /** Gate-able metrics (NaN where undefined) plus msPerRow, singleRowMs, modelBytes. */
  metrics: Record<string, number>;
  slices: Record<string, TaskSliceResult[]>;
  detail: TaskDetail;
  /** Per-row values whose mean is `metric`, row-aligned with every other model's on this holdout. */
  perRow(metric: Comparison['metric']): Float64Array;
}

export interface EvaluateTaskModelOptions {
  label: string;
  target: LoadTarget;
  slices: SliceKeys[];
  modelBytes: number;
}

const EPS = 1e-15;

export async function evaluateTaskModel(modelPath: string, holdoutPath: string, o: EvaluateTaskModelOptions): Promise<TaskEvaluation> {
  const scored = await scoreTaskModel(modelPath, holdoutPath, o.label, o.target);
  const cost = { msPerRow: scored.msPerRow, singleRowMs: scored.singleRowMs, modelBytes: o.modelBytes };
  const slices: Record<string, TaskSliceResult[]> = {};
  for (const keys of o.slices) slices[keys.column] = taskSliceMetrics(scored, keys);
  return {
    rows: scored.rows,
    metrics: { ...headline(scored), ...cost },
    slices,
    detail: detailOf(scored),
    perRow: (metric) => perRowValues(scored, metric),
  };
}

/** The gate names of a task's metrics: multiclass logLoss … minClassRecall, regression rmse … mape. */
export function flattenTaskMetrics(m: MulticlassMetrics | RegressionMetrics): Record<string, number> {
  if ('confusion' in m) {
    const present = m.perClass.filter((c) => c.support > 0);
    return {
      logLoss: m.logLoss,
      accuracy: m.accuracy,
      macroF1: m.macroF1,
      weightedF1: m.weightedF1,
      minClassRecall: present.length > 0 ? Math.min(...present.map((c) => c.recall)) : NaN,
    };
  }
  return { rmse: m.rmse, mae: m.mae, r2: m.r2, mape: m.mape ?? NaN, meanResidual: m.meanResidual };
}

function headline(s: TaskScore): Record<string, number> {
  return flattenTaskMetrics(s.metrics);
}

function detailOf(s: TaskScore): TaskDetail {
  if (s.task === 'multiclass') {
    return {
      task: 'multiclass',
      classes: s.classes,
      perClass: s.metrics.perClass.map((c, k) => ({ class: s.classes[k], ...c })),
      confusion: s.metrics.confusion,
    };
  }
  return { task: 'regression', meanResidual: s.metrics.meanResidual, residualQuantiles: s.metrics.residualQuantiles, mape: s.metrics.mape };
}

/**
 * Per-row values: multiclass log loss −log(clip(p_{i,y_i})) or 0/1 correctness; regression squared
 * error (its mean is MSE, whose square root is RMSE) or absolute error.
 * @throws RangeError for a metric the task has no per-row form of.
 */
export function perRowValues(s: TaskScore, metric: Comparison['metric']): Float64Array {
  const out = new Float64Array(s.rows);
  if (s.task === 'multiclass') {
    const K = s.classes.length;
    if (metric === 'logLoss') {
      for (let i = 0; i < s.rows; i++) out[i] = -Math.log(Math.min(Math.max(s.probabilities[i * K + s.labels[i]], EPS), 1));
      return out;
    }
    if (metric === 'accuracy') {
      const predicted = argmaxRows(s.probabilities, K);
      for (let i = 0; i < s.rows; i++) out[i] = predicted[i] === s.labels[i] ? 1 : 0;
      return out;
    }
  } else if (metric === 'mse' || metric === 'mae') {
    for (let i = 0; i < s.rows; i++) {
      const r = s.targets[i] - s.values[i];
      out[i] = metric === 'mse' ? r * r : Math.abs(r);
    }
    return out;
  }
  throw new RangeError(`a ${s.task} model has no per-row ${metric}`);
}

/** The task's metrics on every slice of one column, from the scores in memory. */
function taskSliceMetrics(s: TaskScore, keys: SliceKeys): TaskSliceResult[] {
  const members = keys.values.map(() => [] as number[]);
  for (let i = 0; i < keys.codes.length; i++) if (keys.codes[i] >= 0) members[keys.codes[i]].push(i);
  return keys.values.map((value, k) => {
    const rows = members[k];
    if (rows.length === 0 || rows.length < keys.minRows) return { value, rows: rows.length, metrics: null };
    if (s.task === 'multiclass') {
      const K = s.classes.length;
      const p = new Float32Array(rows.length * K);
      rows.forEach((i, j) => p.set(s.probabilities.subarray(i * K, (i + 1) * K), j * K));
      return { value, rows: rows.length, metrics: flattenTaskMetrics(computeMulticlassMetrics(p, Int32Array.from(rows, (i) => s.labels[i]), K)) };
    }
    const m = computeRegressionMetrics(Float32Array.from(rows, (i) => s.values[i]), Float64Array.from(rows, (i) => s.targets[i]));
    return { value, rows: rows.length, metrics: flattenTaskMetrics(m) };
  });
}
