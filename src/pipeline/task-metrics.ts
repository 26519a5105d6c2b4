/**
 * Which evaluation metrics and paired comparisons make sense for each task, and the defaults
 * that stand in for the binary ones. Pure: spec parsing (parse-spec.ts) refuses a gate, primary
 * metric or comparison the task cannot compute, and the evaluate step maps the schema's binary
 * defaults (`auc`) to the task's own.
 */
import type { Task } from './label-spec';
import type { Comparison, MetricName } from './step-params';

/** Cost figures every task has: inference time and model size. */
const COST: MetricName[] = ['msPerRow', 'singleRowMs', 'modelBytes'];

/** Gate and primary-metric names per task. */
export const METRICS_BY_TASK: Record<Task, readonly MetricName[]> = {
  binary: ['auc', 'logLoss', 'accuracy', 'precision', 'recall', 'f1', 'brier', 'ece', ...COST],
  multiclass: ['logLoss', 'accuracy', 'macroF1', 'weightedF1', 'minClassRecall', ...COST],
  regression: ['rmse', 'mae', 'r2', 'mape', ...COST],
};

/** Paired-comparison metrics per task: each is the mean of a per-row value (AUC aside, by DeLong). */
export const COMPARISONS_BY_TASK: Record<Task, readonly Comparison['metric'][]> = {
  binary: ['auc', 'logLoss', 'brier', 'accuracy'],
  multiclass: ['logLoss', 'accuracy'],
  regression: ['mse', 'mae'],
};

/** What `primaryMetric` means when the spec leaves it at the schema's default (`auc`). */
export const DEFAULT_PRIMARY_METRIC: Record<Task, MetricName> = { binary: 'auc', multiclass: 'logLoss', regression: 'rmse' };

/** What `comparison.metric` means when the spec leaves it at the schema's default (`auc`). */
export const DEFAULT_COMPARISON_METRIC: Record<Task, Comparison['metric']> = { binary: 'auc', multiclass: 'logLoss', regression: 'mse' };

/**
 * The metric a parsed evaluate step uses for `task`. Spec parsing refuses an explicit `auc` for
 * multiclass and regression, so an `auc` reaching here for them is the schema's default.
 */
export function primaryMetricFor(task: Task, parsed: MetricName): MetricName {
  return task !== 'binary' && parsed === 'auc' ? DEFAULT_PRIMARY_METRIC[task] : parsed;
}

/** Like {@link primaryMetricFor}, for the paired comparison's metric. */
export function comparisonMetricFor(task: Task, parsed: Comparison['metric']): Comparison['metric'] {
  return task !== 'binary' && parsed === 'auc' ? DEFAULT_COMPARISON_METRIC[task] : parsed;
}
