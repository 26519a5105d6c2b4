/**
 * validate: judges this batch (train + holdout snapshots) against the schema in force and the
 * reference data (the champion's training snapshot) before anything is trained on it. Every
 * check's value, threshold and verdict goes into a JSON and an HTML report; a failed check of
 * severity `fail` ends the run with DataValidationFailed naming each one. See src/validation.
 */
import type { ArtifactStore } from '../artifacts/artifact-store';
import { withDuckDb } from '../data/duckdb';
import { DataValidationError, isSlipwayError } from '../errors';
import type { ValidateParams } from '../pipeline/step-params';
import type { ArtifactRef, StepOutput, StepRequest } from '../pipeline/types';
import type { ModelRegistry } from '../registry/model-registry';
import type { CheckContext } from '../validation/check-result';
import { columnKinds } from '../validation/data-schema';
import { distribution, type Distribution } from '../validation/distributions';
import { describeFiles, profileFiles, readFooterStats, type DatasetProfile } from '../validation/profile';
import { buildPlan, planForTypes } from '../validation/profile-plan';
import { positiveRate } from '../validation/reference-checks';
import { renderReportHtml } from '../validation/report-html';
import { runChecks } from '../validation/run-checks';
import { loadChampion, resolveSchema, type Champion } from '../validation/schema-in-force';
import { snapshotMeta } from '../validation/snapshot-meta';
import { countResults, failureDetails, failureMessage, reportSummary, type ValidationReport } from '../validation/validation-report';
import { activitySignal } from './heartbeat';
import { findArtifact } from './upstream';

export interface ValidateDeps {
  store: ArtifactStore;
  duckdbThreads: number;
  /** Finds the champion, whose training data and schema validation compares with. */
  registry: Pick<ModelRegistry, 'getAlias'>;
}

export async function validateSnapshots(deps: ValidateDeps, req: StepRequest, params: ValidateParams): Promise<StepOutput> {
  const train = findArtifact(req.inputs, 'train');
  const holdout = findArtifact(req.inputs, 'holdout');
  const meta = { train: snapshotMeta(train), holdout: snapshotMeta(holdout) };
  const notes: string[] = [];
  const champion = await loadChampion(deps.store, deps.registry, req.ctx.model, notes);
  const currentFiles = [await deps.store.localPath(train), await deps.store.localPath(holdout)];
  const referenceFile = await referencePath(deps.store, champion, notes);

  const data = await withDuckDb({ threads: deps.duckdbThreads, signal: activitySignal() }, async (conn) => {
    const currentTypes = await describeFiles(conn, currentFiles);
    const currentFooter = await readFooterStats(conn, currentFiles);
    const referenceFooter = referenceFile ? await readFooterStats(conn, [referenceFile]) : undefined;
    const kinds = columnKinds(meta.train, currentTypes, champion?.schema?.schema, params.schema.columns);
    const plan = buildPlan(kinds, currentTypes, [referenceFooter, currentFooter], champion?.schema?.schema);
    const current = await profileFiles(conn, currentFiles, plan, currentFooter, { duplicateColumns: currentTypes.map((c) => c.name) });
    let reference: DatasetProfile | undefined;
    if (referenceFile && referenceFooter) {
      reference = await profileFiles(conn, [referenceFile], planForTypes(plan, await describeFiles(conn, [referenceFile])), referenceFooter);
    }
    return { currentTypes, current, reference };
  });

  const createdBy = { workflowId: req.ctx.workflowId, runId: req.ctx.runId, stepId: req.ctx.stepId };
  const resolved = resolveSchema({
    model: req.ctx.model,
    createdBy,
    meta: meta.train,
    current: data.current,
    reference: data.reference,
    champion,
    pins: params.schema.columns,
    update: params.schema.update,
  });
  const schemaRef = resolved.ref ?? (await deps.store.putJson(resolved.schema, { name: 'schema', meta: { model: req.ctx.model, version: resolved.schema.version } }));

  const description = `champion v${champion?.version} training data`;
  const ctx: CheckContext = {
    params,
    schema: resolved.schema,
    current: data.current,
    currentTypes: data.currentTypes,
    meta,
    ...(data.reference ? { reference: { description, profile: data.reference, positiveRate: positiveRate(data.reference, meta.train.label) } } : {}),
  };
  const { checks, drift } = runChecks(ctx);
  const counts = countResults(checks);
  const drifted = drift.filter((d) => d.drifted).map((d) => d.column);
  const driftShare = drift.length ? drifted.length / drift.length : 0;
  const distributions: Record<string, Distribution> = {};
  for (const p of Object.values(data.current.columns)) {
    const d = distribution(p, data.reference?.columns[p.name]);
    if (d) distributions[p.name] = d;
  }
  const report: ValidationReport = {
    kind: 'slipway.validation-report',
    formatVersion: 1,
    model: req.ctx.model,
    pipeline: req.ctx.pipeline,
    ...createdBy,
    passed: counts.failed === 0,
    counts,
    checks,
    drift: { columns: drift, drifted, share: driftShare, detected: drift.length > 0 && driftShare >= params.drift.maxDriftedFraction },
    schema: { version: resolved.schema.version, origin: resolved.origin, changed: resolved.changed, reason: resolved.schema.reason, changes: resolved.changes, uri: schemaRef.uri },
    reference: data.reference && champion?.trainData ? { description, uri: champion.trainData.uri, rows: data.reference.rows } : null,
    current: { rows: data.current.rows, train: { uri: train.uri, rows: meta.train.rows }, holdout: { uri: holdout.uri, rows: meta.holdout.rows } },
    notes,
    distributions,
    params,
  };
  const reportRef = await deps.store.putJson(report, { name: 'validation-report', meta: { checks: counts.checks, failed: counts.failed, warnings: counts.warnings } });
  const htmlRef = await deps.store.putBytes(renderReportHtml(report), { name: 'validation-report-html', mediaType: 'text/html; charset=utf-8' });
  const uris = { json: reportRef.uri, html: htmlRef.uri, htmlPath: await deps.store.localPath(htmlRef) };
  if (!report.passed) {
    throw new DataValidationError(failureMessage(report, `${uris.htmlPath} (${reportRef.uri})`), { details: failureDetails(report, uris) });
  }
  return {
    artifacts: { 'validation-report': reportRef, 'validation-report-html': htmlRef, schema: schemaRef },
    summary: reportSummary(report, uris),
  };
}

/** The champion's training snapshot on disk, or undefined (with a note) when it cannot be used. */
async function referencePath(store: ArtifactStore, champion: Champion | undefined, notes: string[]): Promise<string | undefined> {
  const ref: ArtifactRef | undefined = champion?.trainData;
  if (!ref) return undefined;
  try {
    return await store.localPath(ref);
  } catch (err) {
    if (!isSlipwayError(err)) throw err;
    notes.push(`champion v${champion!.version}'s training data ${ref.uri} cannot be read (${err.message.split('\n')[0]}); drift and label-rate checks are skipped`);
    return undefined;
  }
}
