/**
 * assessRetraining: checks a model's retrain triggers for the continuous-training
 * workflow — no champion yet, champion older than the policy allows, enough new rows
 * after the champion's data window, the champion's live quality on the model server —
 * and says which fired, in words and figures.
 */
import type { ServingAdmin } from '../serving/serving-admin';
import { readPipelineSpec } from '../pipeline/resolve-pipeline-input';
import { checkLiveQuality } from './live-quality';
import { parseRetrainPolicy } from './retrain-policy';
import { registryTask } from '../serving/model-task';
import { toMs } from '../duration/duration';
import { queryRows, sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import type { DataRoots } from '../data/data-roots';
import { withSourceSession } from '../data/open-source';
import { detectFormat, effectiveWindow, parseTimestamp, readerSql, resolveSourcePath } from '../data/source-path';
import { deepMerge } from '../pipeline/parse-spec';
import { sourceRelation } from '../data/source-select';
import { servedLogFiles, servedRelationSql } from '../data/served-source';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { PipelineSpec } from '../pipeline/spec-schema';
import type { IngestParams } from '../pipeline/step-params';
import type { ModelRegistry } from '../registry/model-registry';
import type { RetrainAssessment, RetrainPolicy } from '../workflows/continuous-training-status';

export interface AssessDeps {
  registry: ModelRegistry;
  pipelinesDir: string;
  duckdbThreads: number;
  /** Where sources may be read from; the new-rows count reads the ingest's source. */
  dataRoots: DataRoots;
  /** The model server's admin API, for the live-quality trigger; undefined when the worker has none. */
  serving?: ServingAdmin;
  now?: () => Date;
  /** For a pipeline whose ingest reads `source.served`: the inference log's folder and the store holding its windows. */
  servedLog?: { dir?: string; store: ArtifactStore };
}

export interface AssessRequest {
  model: string;
  pipeline: string;
  overrides?: Record<string, Record<string, unknown>>;
  /** Validated here (see retrain-policy.ts); unknown or bad fields fail the check. */
  policy: RetrainPolicy;
}

export async function assessRetraining(deps: AssessDeps, req: AssessRequest): Promise<RetrainAssessment> {
  const policy = parseRetrainPolicy(req.policy);
  const champion = await deps.registry.getAlias(req.model, 'champion');
  if (!champion) return { retrain: true, reasons: [`model "${req.model}" has no champion yet`], championVersion: null };

  const fired: string[] = [];
  const checked: string[] = [];
  const now = (deps.now ?? (() => new Date()))();
  if (policy.maxModelAge) {
    const ageMs = now.getTime() - Date.parse(champion.createdAt);
    const line = `champion v${champion.version} is ${(ageMs / 3_600_000).toFixed(1)} h old (limit ${policy.maxModelAge})`;
    (ageMs > toMs(policy.maxModelAge) ? fired : checked).push(line);
  }

  // Planning only: reads the pipeline's ingest parameters; the retraining run is authorised when it resolves.
  const resolved = await readPipelineSpec({ pipelinesDir: deps.pipelinesDir, dataRoots: deps.dataRoots.roots }, { pipeline: req.pipeline, overrides: req.overrides, model: req.model });
  const ingest = resolved.spec.steps.find((s) => s.kind === 'ingest')?.with as IngestParams | undefined;
  const trainedUntil = (champion.lineage.dataWindow as { to?: string } | undefined)?.to;
  let newRows: number | undefined;
  if (ingest && ingest.timeColumn === undefined) {
    checked.push('new data: skipped, the ingest step has no timeColumn, so new rows cannot be told from old ones');
  } else if (ingest && trainedUntil) {
    newRows = await countRowsAfter(deps, ingest, trainedUntil);
    const min = policy.minNewRows ?? 1000;
    (newRows >= min ? fired : checked).push(`${newRows} rows arrived after the champion's data window (ends ${trainedUntil}; trigger at ${min})`);
  } else {
    checked.push('new data: the champion records no data window to compare with');
  }
  let liveQuality: RetrainAssessment['liveQuality'];
  if (policy.onLiveQuality) {
    const offlineAuc = typeof champion.metrics.auc === 'number' && Number.isFinite(champion.metrics.auc) ? champion.metrics.auc : undefined;
    const task = registryTask(champion)?.task;
    const known = task === 'binary' || task === 'multiclass' || task === 'regression' ? task : undefined;
    liveQuality = await checkLiveQuality({ serving: deps.serving }, { model: req.model, version: champion.version, offlineAuc, ...(known && { task: known }) }, policy.onLiveQuality);
    (liveQuality.fired ? fired : checked).push(liveQuality.line);
  }
  const probe = fired.length === 0 && policy.onDrift ? driftProbe(resolved.spec) : undefined;
  const incremental = fired.length > 0 && policy.incremental ? incrementalWindow(resolved.spec, req.overrides, trainedUntil, newRows) : undefined;
  return {
    retrain: fired.length > 0,
    reasons: fired.length > 0 ? (incremental ? [...fired, incremental.line] : fired) : checked,
    championVersion: champion.version,
    ...(incremental?.overrides && { overrides: incremental.overrides }),
    ...(probe && { probe }),
    ...(liveQuality && { liveQuality }),
  };
}

/**
 * `policy.incremental`: the retrain reads only the rows after the champion's data window (never
 * from before the pipeline's own window start). The workflow replaces a step's overrides with the
 * assessment's, so the ingest override returned here carries the caller's own ingest overrides.
 */
function incrementalWindow(
  spec: PipelineSpec,
  overrides: AssessRequest['overrides'],
  trainedUntil: string | undefined,
  newRows: number | undefined,
): { overrides?: Record<string, Record<string, unknown>>; line: string } {
  const step = spec.steps.find((s) => s.kind === 'ingest');
  if (!step || trainedUntil === undefined || newRows === undefined) {
    return { line: "incremental: the pipeline's own window (the champion records no data window, or the ingest has no timeColumn)" };
  }
  if (newRows === 0) return { line: `incremental: no row after the champion's data window (ends ${trainedUntil}); the pipeline's own window` };
  const own = (step.with as IngestParams).window.from;
  const from = own !== undefined && parseTimestamp(own) > parseTimestamp(trainedUntil) ? own : trainedUntil;
  const ingest = deepMerge(overrides?.[step.id] ?? {}, { window: { from } }) as Record<string, unknown>;
  return { overrides: { [step.id]: ingest }, line: `incremental: the retrain reads the ${newRows} rows from ${from} on, after the champion's data window` };
}

/** The pipeline cut down to ingest and validate: what validation says about the newest data, without training. */
function driftProbe(spec: PipelineSpec): RetrainAssessment['probe'] {
  const ingest = spec.steps.find((s) => s.kind === 'ingest');
  const validate = spec.steps.find((s) => s.kind === 'validate' && ingest && s.dependsOn.includes(ingest.id));
  if (!ingest || !validate) return undefined;
  return {
    spec: { ...spec, name: `${spec.name}-drift-probe`, steps: [ingest, { ...validate, dependsOn: [ingest.id] }] },
    validateStep: validate.id,
  };
}

/** Rows in the pipeline's current window (a replay's `now` included) that are newer than `after`; the source's select applied. */
async function countRowsAfter(deps: AssessDeps, ingest: IngestParams, after: string): Promise<number> {
  if (ingest.source.served) return countServedAfter(deps, ingest.source.served.model, after);
  const format = detectFormat(resolveSourcePath(ingest.source.path), ingest.source.format);
  const time = `CAST(${sqlIdent(ingest.timeColumn!)} AS TIMESTAMP)`;
  const where = [`${time} >= TIMESTAMP ${sqlString(after)}`];
  const until = effectiveWindow(ingest.window, ingest.source.replay).to;
  if (until) where.push(`${time} < TIMESTAMP ${sqlString(until)}`);
  return withSourceSession(ingest.source.path, deps.dataRoots, { threads: deps.duckdbThreads }, async (conn, { files }) => {
    const relation = await sourceRelation(conn, ingest.source.select, readerSql(files, format, sqlString));
    const [row] = await queryRows(conn, `SELECT count(*) AS n FROM ${relation} WHERE ${where.join(' AND ')}`);
    return Number(row.n);
  });
}

/** Predictions of `model` logged after `after` (the served-data source's new rows). */
async function countServedAfter(deps: AssessDeps, model: string, after: string): Promise<number> {
  if (!deps.servedLog) return 0;
  const since = Date.parse(after);
  const files = await servedLogFiles(deps.servedLog.dir, deps.servedLog.store, model, since).catch(() => []);
  if (files.length === 0) return 0;
  return withDuckDb({ threads: deps.duckdbThreads }, async (conn) => {
    const [row] = await queryRows(conn, `SELECT count(*) AS n FROM ${servedRelationSql(files, since)}`);
    return Number(row.n);
  });
}
