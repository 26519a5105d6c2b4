/**
 * A model's logged traffic as a data source (`source: {served: {model, window}}`): the Parquet
 * windows of the inference log (src/serving/inference-log) that overlap the window, read through
 * the artifact store (so every file is checked against its sha256), merged into one row per
 * prediction. Halves of one prediction (an external server's request and response events, a
 * label posted later) are merged by (source, request id, row).
 */
import type { ArtifactStore } from '../artifacts/artifact-store';
import { DataSourceError } from '../errors';
import { readWindows } from '../serving/inference-log/log-manifest';
import { sqlIdent, sqlString } from './duckdb';

/** Verified local paths of `model`'s windows overlapping [from, to). */
export async function servedLogFiles(dir: string | undefined, store: ArtifactStore, model: string, from?: number, to?: number): Promise<string[]> {
  if (!dir) {
    throw new DataSourceError(`source.served: no inference log on this worker; set SLIPWAY_INFERENCE_LOG_DIR to the model server's log folder`, {
      details: { model, reason: 'no-inference-log' },
    });
  }
  const windows = await readWindows(dir, { model, from, to });
  if (windows.length === 0) {
    const span = from === undefined ? '' : ` since ${new Date(from).toISOString()}`;
    throw new DataSourceError(`source.served: no logged traffic of model "${model}"${span}; is its sample rate above 0 (SLIPWAY_SERVE_LOG_SAMPLE)?`, {
      details: { model, reason: 'no-logged-traffic' },
    });
  }
  // A relation needs one window with features to type them; labels or responses alone are not rows to read.
  if (windows.every((w) => w.features === false)) {
    throw new DataSourceError(`source.served: the logged traffic of model "${model}" in this window holds only responses and labels, no request features; widen the window to include the predictions`, {
      details: { model, reason: 'no-logged-features' },
    });
  }
  return Promise.all(windows.map((w) => store.localPath(w.ref)));
}

/**
 * SQL relation of the merged rows: request_id, row, served_at, model, version, protocol, source,
 * features (a struct), prediction and label (JSON text).
 */
export function mergedLogSql(files: string[]): string {
  const list = `[${files.map(sqlString).join(', ')}]`;
  // any_value skips NULLs, so each half contributes what it has.
  return `(SELECT request_id, "row", min(served_at) AS served_at, any_value(model) AS model, any_value(version) AS version,
      any_value(protocol) AS protocol, source, any_value(features) AS features, any_value(prediction) AS prediction, any_value(label) AS label
    FROM read_parquet(${list}, union_by_name = true) GROUP BY source, request_id, "row")`;
}

/** Conditions keeping merged rows with features (and `more`) served in [from, to) (epoch ms). */
function servedWhere(from: number | undefined, to: number | undefined, ...more: string[]): string {
  const where = ['features IS NOT NULL', ...more];
  if (from !== undefined) where.push(`served_at >= make_timestamp(${Math.floor(from)}::BIGINT * 1000)`);
  if (to !== undefined) where.push(`served_at < make_timestamp(${Math.floor(to)}::BIGINT * 1000)`);
  return where.join(' AND ');
}

/** The merged rows with the features as top-level columns (what an ingest `select` sees as `source`). */
export function servedRelationSql(files: string[], from?: number, to?: number): string {
  // The log's own columns first: a logged feature of the same name (features come from whoever called
  // predict) is the one DuckDB renames (`label_1`), so it can never stand in for the feedback label.
  return `(SELECT request_id, "row" AS row_index, served_at, version AS served_version, protocol, source AS log_source,
      prediction, TRY_CAST(label AS DOUBLE) AS label, unnest(features)
    FROM ${mergedLogSql(files)} WHERE ${servedWhere(from, to)})`;
}

/** How a logged label (JSON text) is read for a task: 0/1, a number, or a class name. */
export type ServedLabelTask = 'binary' | 'multiclass' | 'regression';

/**
 * The labelled rows only, in a stable order (served time, request, row): the features as columns
 * plus the label under `label` (the holdout's label name), typed for `task`. Rows whose label does not
 * read as the task's (a binary label other than 0/1, a non-numeric regression target) are left out,
 * as are rows without features (a label whose prediction was not logged). A SELECT statement (for COPY).
 */
export function labelledServedSql(files: string[], label: string, task: ServedLabelTask, from?: number, to?: number): string {
  const value = task === 'multiclass' ? `json_extract_string(label, '$')` : `TRY_CAST(label AS DOUBLE)`;
  const typed = task === 'binary' ? `CASE WHEN __slipway_y IN (0, 1) THEN CAST(__slipway_y AS INTEGER) END` : '__slipway_y';
  // The features come from whoever called predict: our columns go first (a feature of the same name
  // is the one DuckDB renames), and a feature named like the label is dropped, never read as the label.
  const features = `COLUMNS(c -> c <> ${sqlString(label)} AND NOT starts_with(c, '__slipway_'))`;
  return `SELECT ${features}, ${typed} AS ${sqlIdent(label)} FROM (
      SELECT ${value} AS __slipway_y, served_at AS __slipway_t, request_id AS __slipway_r, "row" AS __slipway_q, unnest(features)
      FROM ${mergedLogSql(files)} WHERE ${servedWhere(from, to, 'label IS NOT NULL')})
    WHERE ${typed} IS NOT NULL ORDER BY __slipway_t, __slipway_r, __slipway_q`;
}

