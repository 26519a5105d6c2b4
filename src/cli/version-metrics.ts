/**
 * Which of a version's metrics the CLI shows: the ones of its task (binary, multiclass,
 * regression), so `models show` and `models compare` print a regression model's RMSE rather
 * than a column of "auc -".
 */
import type { ModelVersion } from '../registry/model-registry';
import { registryTask } from '../serving/model-task';

/** Per task, the metrics worth a column, the headline first (the task's usual primary metric). */
export const TASK_METRICS = {
  binary: ['auc', 'logLoss', 'accuracy', 'precision', 'recall', 'f1', 'brier', 'ece'],
  multiclass: ['logLoss', 'accuracy', 'macroF1', 'weightedF1', 'minClassRecall'],
  regression: ['rmse', 'mae', 'r2', 'mape'],
} as const;

type Task = keyof typeof TASK_METRICS;

/** The version's task as the model server reads it from the registry (registryTask); binary when none (as before tasks existed). */
export function versionTask(v: Pick<ModelVersion, 'lineage' | 'params' | 'tags'>): Task {
  const task = registryTask(v)?.task;
  return task === 'multiclass' || task === 'regression' ? task : 'binary';
}

/** `auc 0.8123`, `logLoss 0.6120` or `rmse 2.3410`: the headline metric of the version's task, `-` when not recorded. */
export function headlineMetric(v: Pick<ModelVersion, 'lineage' | 'params' | 'tags' | 'metrics'>): string {
  const name = TASK_METRICS[versionTask(v)][0];
  const value = v.metrics[name];
  return `${name} ${typeof value === 'number' ? value.toFixed(4) : '-'}`;
}

/** The metric rows for comparing `versions`: those of their tasks, in task order, that at least one of them has. */
export function comparedMetrics(versions: readonly Pick<ModelVersion, 'lineage' | 'params' | 'tags' | 'metrics'>[]): string[] {
  const names = [...new Set(versions.flatMap((v) => TASK_METRICS[versionTask(v)]))];
  const present = names.filter((m) => versions.some((v) => typeof v.metrics[m] === 'number'));
  // Versions with no recorded metric still get their task's rows, each "-", rather than an empty table.
  return present.length > 0 ? present : names;
}
