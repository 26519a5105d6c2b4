/**
 * Crediting ground truth to the versions that predicted it (pure over the stats it is given):
 * the serving version always; its shadow when the shadow scored the same request, together with
 * the pair of both rows (paired-window.ts), so shadow and champion are compared on the same
 * requests. Shared by the feedback route (label after the shadow scored) and the shadow mirror
 * (shadow scored after the label came).
 */
import { labelRows, type LabelledRow } from './feedback-labels';
import type { PredictionRecord } from './feedback-ledger';
import type { LiveStats } from './live-stats';
import type { ServingMetrics } from './serving-metrics';

export interface CreditDeps {
  stats: LiveStats;
  metrics: ServingMetrics;
}

/** Credits `rows` (already checked labels of `record`) to the version that answered. */
export function creditServed(deps: CreditDeps, record: PredictionRecord, rows: LabelledRow[], nowMs: number): void {
  for (const row of rows) deps.stats.recordLabel(record.model, record.version, record.predictedAt, row.score, row.label, nowMs, record.task);
  deps.metrics.forVersion(record.model, record.version).feedback.inc(rows.length);
}

/**
 * Credits the shadow's prediction of `record` with `labels` and pairs each row with the serving
 * version's. No-op without a shadow prediction, or when the labels do not fit the shadow's task
 * (a shadow of another task: nothing to compare row by row).
 */
export function creditShadow(deps: CreditDeps, record: PredictionRecord, labels: readonly unknown[], nowMs: number): void {
  const { shadow } = record;
  if (!shadow) return;
  const shadowRows = labelRows(shadow.task, shadow.scores, labels, 'labels');
  if (!Array.isArray(shadowRows)) return;
  for (const row of shadowRows) deps.stats.recordLabel(record.model, shadow.version, record.predictedAt, row.score, row.label, nowMs, shadow.task);
  deps.metrics.forVersion(record.model, shadow.version).feedback.inc(shadowRows.length);
  const served = shadow.task.task === record.task.task ? labelRows(record.task, record.scores, labels, 'labels') : undefined;
  if (!Array.isArray(served) || served.length !== shadowRows.length) return;
  for (let i = 0; i < served.length; i++) deps.stats.recordPair(record.model, shadow.version, record.version, record.predictedAt, served[i], shadowRows[i], nowMs, shadow.task);
}
