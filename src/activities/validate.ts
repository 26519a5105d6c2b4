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
import { upstreamOf } from '../pipeline/step-outputs';
import type { ArtifactRef, StepOutputBody, StepRequest } from '../pipeline/types';
import type { ModelRegistry } from '../registry/model-registry';
import type { CheckContext, CheckResult } from '../validation/check-result';
import type { BatchQuarantine } from '../registry/quarantine';
import { typeFamily } from '../validation/column-types';
import { columnKinds } from '../validation/data-schema';
import { distribution, type Distribution } from '../validation/distributions';
import { describeFiles, profileFiles, readFooterStats, type DatasetProfile } from '../validation/profile';
import { buildPlan, planForTypes } from '../validation/profile-plan';
import { positiveRate } from '../validation/reference-checks';
import { renderReportHtml } from '../validation/report-html';
import { runChecks } from '../validation/run-checks';
import { loadChampion, resolveSchema, type Champion } from '../validation/schema-in-force';
import { snapshotMeta, type SnapshotMeta } from '../validation/snapshot-meta';
import { poisoningChecks, type PoisoningEvidence } from '../validation/poisoning-checks';
import { gatherPoisoningEvidence, type EvidenceInput } from '../validation/poisoning-evidence';
import { findingCharts, sliceRateCharts } from '../validation/slice-rate-charts';
import { gatherTaskEvidence } from '../validation/task-poisoning-evidence';
import { taskPoisoningChecks, type TaskPoisoningEvidence } from '../validation/task-poisoning-checks';
import { countResults, failureDetails, failureMessage, reportSummary, topFindings, type ValidationReport } from '../validation/validation-report';
import { acceptReleased, releaseKey } from '../validation/accept-release';
import { activitySignal } from './heartbeat';
import { findArtifact } from './upstream';

export interface ValidateDeps {
  store: ArtifactStore;
  duckdbThreads: number;
  /** Finds the champion, whose training data and schema validation compares with. */
  registry: Pick<ModelRegistry, 'getAlias'>;
  /** Keeps the batches validation stops; a batch an approver released proceeds. @default none kept */
  quarantine?: BatchQuarantine;
  /** Told the drifted-column share and its limit whenever there was a reference to compare with (metrics). @default nothing told */
  onDrift?: (drift: { share: number; limit: number }) => void;
}

/** The tainted-data evidence: the binary checks' or a multiclass/regression label's. */
type Poisoning = { binary: PoisoningEvidence } | { task: TaskPoisoningEvidence };

export async function validateSnapshots(deps: ValidateDeps, req: StepRequest, params: ValidateParams): Promise<StepOutputBody<'validate'>> {
  const train = findArtifact(req.inputs, 'train');
  const holdout = findArtifact(req.inputs, 'holdout');
  const meta = { train: snapshotMeta(train), holdout: snapshotMeta(holdout) };
  const notes: string[] = [];
  const dataDigest = upstreamOf(req.inputs, 'ingest')?.summary.dataDigest ?? `${train.sha256}+${holdout.sha256}`;
  const decided = await deps.quarantine?.get(req.ctx.model, dataDigest);
  if (decided?.state === 'discarded') {
    // This run's ingest stored the discarded bytes again; recording it lets the next sweep delete them.
    await deps.quarantine!.refused({ model: req.ctx.model, dataDigest, workflowId: req.ctx.workflowId, runId: req.ctx.runId });
    throw new DataValidationError(
      `Data validation refused batch ${dataDigest} of model "${req.ctx.model}": it was quarantined and then discarded by ${decided.decision?.by} at ${decided.decision?.at} (${decided.decision?.reason}); nothing is trained from it. Report: ${decided.reportHtml}`,
      { details: { quarantine: { dataDigest, state: decided.state, decision: decided.decision }, report: decided.report } },
    );
  }
  const champion = await loadChampion(deps.store, deps.registry, req.ctx.model, notes);
  const currentFiles = [await deps.store.localPath(train), await deps.store.localPath(holdout)];
  const referenceFile = await referencePath(deps.store, champion, notes);
  const championModel = referenceFile ? await championScoring(deps.store, champion, notes) : undefined;
  const labelSource = referenceFile ? await labelSourceFiles(deps.store, meta.train, champion) : undefined;
  const championClasses = champion?.trainData ? snapshotMeta(champion.trainData).classes : undefined;

  const data = await withDuckDb({ threads: deps.duckdbThreads, signal: activitySignal() }, async (conn) => {
    const started = performance.now();
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
    const profiledAt = performance.now();
    const taintedTimings: Record<string, number> = {};
    const task = meta.train.task;
    const common = {
      currentFiles,
      current,
      ...(referenceFile && reference ? { reference: { file: referenceFile, profile: reference } } : {}),
      ...(championModel ? { champion: championModel } : {}),
      label: meta.train.label,
      features: meta.train.features.filter((f) => current.columns[f]),
      sampleKeys: currentTypes.filter((t) => typeFamily(t.type) !== 'string').map((t) => t.name),
      params: params.poisoning,
    };
    // Multiclass and regression labels are judged by their own generalisation of the binary checks.
    const poisoning: Poisoning = task
      ? { task: await gatherTaskEvidence(conn, { ...common, task, classes: championClasses ?? meta.train.classes ?? [] }, notes, taintedTimings) }
      : { binary: await gatherPoisoningEvidence(conn, { ...common, ...(labelSource ? { labelSource } : {}) }, notes, taintedTimings) };
    // Where the time goes, for the benchmark and for operators with large batches.
    const timingsMs = { profiles: Math.round(profiledAt - started), taintedData: Math.round(performance.now() - profiledAt), ...taintedTimings };
    return { currentTypes, current, reference, poisoning, timingsMs };
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
    ...(data.reference
      ? {
          reference: {
            description,
            profile: data.reference,
            positiveRate: positiveRate(data.reference, meta.train.label),
            ...(champion?.trainData && snapshotMeta(champion.trainData).classes ? { classes: snapshotMeta(champion.trainData).classes } : {}),
          },
        }
      : {}),
  };
  const base = runChecks(ctx);
  const tainted = 'task' in data.poisoning ? taskPoisoningChecks(ctx, data.poisoning.task) : poisoningChecks(ctx, data.poisoning.binary);
  const released = decided?.state === 'released' ? decided.decision! : undefined;
  const checks = acceptReleased([...base.checks, ...tainted.checks], released && { ...released, accepted: decided!.failed });
  if (released) notes.push(`batch ${dataDigest} was released from quarantine by ${released.by} at ${released.at}: ${released.reason}`);
  const drift = base.drift;
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
    findings: tainted.findings,
    poisoning: tainted.summary,
    sliceRates: 'task' in data.poisoning ? findingCharts(tainted.findings) : sliceRateCharts(data.poisoning.binary, tainted.findings),
    distributions,
    params,
  };
  // Before a failure is thrown: a drifted batch is exactly the one the drift alert must see.
  if (drift.length > 0) deps.onDrift?.({ share: driftShare, limit: params.drift.maxDriftedFraction });
  const reportRef = await deps.store.putJson(report, { name: 'validation-report', meta: { checks: counts.checks, failed: counts.failed, warnings: counts.warnings } });
  const htmlRef = await deps.store.putBytes(await renderReportHtml(report), { name: 'validation-report-html', mediaType: 'text/html; charset=utf-8' });
  const uris = { json: reportRef.uri, html: htmlRef.uri, htmlPath: await deps.store.localPath(htmlRef) };
  if (!report.passed) {
    const kept = deps.quarantine
      ? await deps.quarantine.quarantine({
          model: req.ctx.model,
          dataDigest,
          workflowId: req.ctx.workflowId,
          runId: req.ctx.runId,
          snapshots: { train, holdout },
          report: reportRef.uri,
          reportHtml: htmlRef.uri,
          failed: report.checks.filter((c) => c.status === 'fail').map(releaseKey),
          findings: topFindings(report),
        })
      : undefined;
    const where = kept
      ? `\nThe batch is quarantined as ${dataDigest}; an approver with a grant on ${req.ctx.model} can release it with a reason (slipway data release ${req.ctx.model} ${dataDigest} --reason ...) or discard it.`
      : '';
    throw new DataValidationError(failureMessage(report, `${uris.htmlPath} (${reportRef.uri})`) + where, {
      details: { ...failureDetails(report, uris), ...(kept ? { quarantine: { dataDigest, state: kept.state } } : {}) },
    });
  }
  return {
    artifacts: { 'validation-report': reportRef, 'validation-report-html': htmlRef, schema: schemaRef },
    summary: { ...reportSummary(report, uris), timingsMs: data.timingsMs, ...(released ? { release: { dataDigest, ...released } } : {}) },
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

/** The champion's model and holdout on disk, for label consistency; undefined (with a note) when unreadable. */
async function championScoring(store: ArtifactStore, champion: Champion | undefined, notes: string[]): Promise<EvidenceInput['champion']> {
  if (!champion?.model) return undefined;
  try {
    const modelPath = await store.localPath(champion.model);
    const holdoutPath = champion.holdoutData ? await store.localPath(champion.holdoutData) : undefined;
    return { modelPath, modelDigest: champion.model.sha256, ...(holdoutPath ? { holdoutPath, holdoutDigest: champion.holdoutData!.sha256 } : {}) };
  } catch (err) {
    if (!isSlipwayError(err)) throw err;
    notes.push(`champion v${champion.version}'s model or holdout cannot be read (${err.message.split('\n')[0]}); label consistency uses the reference's per-slice rates`);
    return undefined;
  }
}


/** This batch's and the champion's label source counts on disk, or why they cannot be compared. */
async function labelSourceFiles(store: ArtifactStore, batch: SnapshotMeta, champion: Champion | undefined): Promise<EvidenceInput['labelSource']> {
  if (!batch.labelSource) return undefined;
  const ref = champion?.trainData ? snapshotMeta(champion.trainData).labelSource : undefined;
  if (!ref) return { skipped: `champion v${champion?.version}'s training snapshot has no label source counts (ingested before they were recorded)` };
  if (ref.column !== batch.labelSource.column) return { skipped: `the champion's label comes from ${ref.column}, this batch's from ${batch.labelSource.column}` };
  try {
    return {
      column: batch.labelSource.column,
      batch: await store.localPath(batch.labelSource.counts),
      reference: await store.localPath(ref.counts),
      ...(batch.labelSource.comparison ? { comparison: batch.labelSource.comparison } : {}),
    };
  } catch (err) {
    if (!isSlipwayError(err)) throw err;
    return { skipped: `label source counts cannot be read (${err.message.split('\n')[0]})` };
  }
}
