/**
 * evaluate's recent-traffic gate (`recent`, src/evaluation/recent-gate.ts): the labelled rows the
 * model server logged in the last window are read through the artifact store (each log window
 * checked against its sha256, as served sources are), written once to a scratch Parquet file, and
 * the chosen candidate and the champion are scored on exactly those rows by the same scorer and
 * compared by the same paired test as on the holdout.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { sqlString, withDuckDb } from '../data/duckdb';
import { labelledServedSql, servedLogFiles } from '../data/served-source';
import { toMs } from '../duration/duration';
import { EvaluationError, isSlipwayError } from '../errors';
import { evaluateModel } from '../evaluation/evaluate-model';
import { evaluateTaskModel } from '../evaluation/evaluate-task-model';
import { comparePaired, comparePerRow, type PairedComparison } from '../evaluation/paired-gate';
import { compared, recentComparisonSpec, tooFewLabels, type RecentComparison } from '../evaluation/recent-gate';
import type { EvaluateParams, RecentComparisonParams } from '../pipeline/step-params';
import { comparisonMetricFor } from '../pipeline/task-metrics';
import type { ArtifactRef } from '../pipeline/types';
import type { LoadTarget } from '../training/load-training-data';

export interface RecentDeps {
  store: ArtifactStore;
  /** The inference log's folder (SLIPWAY_INFERENCE_LOG_DIR); undefined: a `recent` gate fails the step. */
  inferenceLogDir?: string;
  /** Epoch-ms clock that ends the window. @default Date.now */
  now?: () => number;
}

export interface RecentInputs {
  /** The pipeline's model: the served model unless `recent.served.model` names another. */
  model: string;
  candidate: ArtifactRef;
  champion: ArtifactRef;
  /** The holdout's label name: the served label is written under it, so models read it as on the holdout. */
  label: string;
  /** Undefined: binary. */
  target?: LoadTarget;
  threshold: number;
}

/** Scores the candidate and the champion on the recent labelled served rows and judges them. */
export async function judgeRecent(deps: RecentDeps, params: EvaluateParams, recent: RecentComparisonParams, o: RecentInputs, log: Logger): Promise<RecentComparison> {
  const model = recent.served.model ?? o.model;
  const until = (deps.now ?? Date.now)();
  const from = until - toMs(recent.served.window);
  const served = { model, window: recent.served.window, from: new Date(from).toISOString(), to: new Date(until).toISOString() };
  const field = `recent.served (model "${model}", window ${recent.served.window})`;
  const files = await servedLogFiles(deps.inferenceLogDir, deps.store, model, from, until).catch((err: unknown) => {
    // A transient read error retries; the served-source refusals name `source.served`, here the field is the evaluate step's.
    if (!isSlipwayError(err)) throw err;
    throw new EvaluationError(`${field}: ${err.message.replace(/^source\.served: /, '')}`, { cause: err });
  });
  const scratch = await deps.store.scratchDir('evaluate-recent');
  try {
    const rowsPath = path.join(scratch, 'recent.parquet');
    const task = o.target?.task ?? 'binary';
    const labelled = await withDuckDb({ threads: 1 }, async (conn) => {
      await conn.run(`COPY (${labelledServedSql(files, o.label, task, from, until)}) TO ${sqlString(rowsPath)} (FORMAT parquet)`).catch((err: unknown) => {
        // The log's own files, on this worker: what DuckDB cannot read there, it will not read on a retry either.
        throw new EvaluationError(`${field}: the logged rows cannot be read: ${(err as Error).message}`, { cause: err });
      });
      const counted = await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM read_parquet(${sqlString(rowsPath)})`);
      return Number(counted.getRowsJson()[0][0]);
    });
    if (labelled === 0) {
      throw new EvaluationError(
        `${field}: no labelled row of a logged prediction in the window; post feedback labels (POST /v1/models/${model}/feedback) or widen the window`,
      );
    }
    if (labelled < recent.minLabels) return tooFewLabels(recent, served, labelled);
    // Fetching the models may fail for a while (an object store's 503): that retries, as any read does.
    const models = { candidate: await deps.store.localPath(o.candidate), champion: await deps.store.localPath(o.champion) };
    const comparison = await pairedOnRows(params, recent, o, rowsPath, models).catch((err: unknown) => {
      // A model that cannot read the served rows (a column it needs was not logged), or a test that cannot be computed (one class).
      throw new EvaluationError(`${field}: the candidate and the champion could not be compared on the served rows: ${(err as Error).message}`, { cause: err });
    });
    log.info({ model, labelled, passed: comparison.passed, improvement: comparison.improvement, pValue: comparison.pValue }, 'recent served traffic compared');
    return compared(recent, served, comparison);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Both models on the same rows, one after the other, then the holdout comparison's paired test. */
async function pairedOnRows(
  params: EvaluateParams,
  recent: RecentComparisonParams,
  o: RecentInputs,
  rowsPath: string,
  models: { candidate: string; champion: string },
): Promise<PairedComparison> {
  const spec = recentComparisonSpec(params, recent);
  if (!o.target) {
    const score = (file: string, ref: ArtifactRef) => evaluateModel(file, rowsPath, { label: o.label, threshold: o.threshold, slices: [], modelBytes: ref.bytes });
    const candidate = await score(models.candidate, o.candidate);
    const champion = await score(models.champion, o.champion);
    return comparePaired(spec, candidate.scores, champion.scores, candidate.labels, o.threshold);
  }
  const target = o.target;
  const metric = comparisonMetricFor(target.task, spec.metric);
  const score = (file: string, ref: ArtifactRef) => evaluateTaskModel(file, rowsPath, { label: o.label, target, slices: [], modelBytes: ref.bytes });
  const candidate = await score(models.candidate, o.candidate);
  const champion = await score(models.champion, o.champion);
  return comparePerRow({ ...spec, metric }, candidate.perRow(metric), champion.perRow(metric));
}
