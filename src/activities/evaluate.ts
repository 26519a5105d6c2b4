/**
 * evaluate: the fan-in. Scores every upstream candidate model and the current champion on
 * the same holdout rows with onnxruntime, computes all metrics (and per slice) in one
 * place, carries the best candidate by the primary metric forward as this step's `model`,
 * applies the gates to it, and stores the report as JSON and as an HTML page.
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { EvaluationError } from '../errors';
import { evaluateModel, sliceTable, type ModelEvaluation } from '../evaluation/evaluate-model';
import { GATE_FORMULAS, TASK_FORMULAS, type EvaluationReport, type ReportEntry } from '../evaluation/evaluation-report';
import { applyGates } from '../evaluation/gates';
import { readHoldoutDays } from '../evaluation/holdout-days';
import { comparePaired, type PairedComparison } from '../evaluation/paired-gate';
import { renderReportHtml } from '../evaluation/report-html';
import { selectCandidate } from '../evaluation/select-candidate';
import { readSliceKeys, type SliceKeys } from '../evaluation/slices';
import type { EvaluateParams } from '../pipeline/step-params';
import type { ArtifactRef, StepOutputBody, StepRequest } from '../pipeline/types';
import type { ModelRegistry } from '../registry/model-registry';
import { snapshotMeta } from '../validation/snapshot-meta';
import { judgeRecent, type RecentDeps } from './evaluate-recent';
import { judgeTaskCandidates, targetOf } from './evaluate-task';
import { distinct, entry, finiteOnly, finiteOr, type Judged } from './evaluate-shared';
import { findAllArtifacts, findArtifact } from './upstream';

export interface EvaluateDeps extends RecentDeps {
  store: ArtifactStore;
  registry: ModelRegistry;
}

export async function evaluateCandidate(deps: EvaluateDeps, req: StepRequest, params: EvaluateParams, log: Logger): Promise<StepOutputBody<'evaluate'>> {
  const candidates = distinct(findAllArtifacts(req.inputs, 'model', params.candidates));
  const holdoutRef = findArtifact(req.inputs, 'holdout');
  const label = String(holdoutRef.meta?.label ?? 'label');
  const holdoutPath = await deps.store.localPath(holdoutRef);
  const slices = await readSliceKeys(holdoutPath, params.slices);
  const meta = snapshotMeta(holdoutRef);
  const judged = meta.task
    ? await judgeTaskCandidates(deps, req, params, log, { candidates, holdoutPath, label, slices, meta })
    : await judgeBinary(deps, req, params, log, { candidates, holdoutPath, label, slices });
  const { scored, champion, selection, verdict, comparison, primaryMetric } = judged;
  const chosen = scored[selection.index];
  const chosenRef = candidates[selection.index].ref;
  // The recent served traffic judges the same pair again; without a champion there is nothing to compare.
  const recent = params.recent && judged.championRef
    ? await judgeRecent(deps, params, params.recent, { model: req.ctx.model, candidate: chosenRef, champion: judged.championRef, label, target: meta.task ? targetOf(meta) : undefined, threshold: params.threshold }, log)
    : null;
  if (recent && !recent.passed) {
    verdict.blessed = false;
    verdict.reasons.push(recent.reason);
  }
  log.info({ chosen: chosen.id, reason: selection.reason, blessed: verdict.blessed, reasons: verdict.reasons, comparison }, 'evaluated');

  const report: EvaluationReport = {
    kind: 'evaluation-report',
    model: req.ctx.model,
    pipeline: req.ctx.pipeline,
    workflowId: req.ctx.workflowId,
    runId: req.ctx.runId,
    step: req.ctx.stepId,
    holdout: { uri: holdoutRef.uri, sha256: holdoutRef.sha256, rows: chosen.rows, label },
    ...(meta.task ? { task: meta.task, ...(meta.classes ? { classes: meta.classes } : {}) } : {}),
    threshold: params.threshold,
    primaryMetric,
    firstRun: params.firstRun,
    candidates: scored,
    chosen: { id: chosen.id, reason: selection.reason },
    champion,
    ...verdict,
    comparison,
    // Only when the spec asks for it, so reports of specs without `recent` are as before.
    ...(params.recent ? { recent } : {}),
    formulas: { ...GATE_FORMULAS, ...(meta.task ? TASK_FORMULAS[meta.task] : {}) },
  };
  const [reportRef, pageRef] = await Promise.all([
    deps.store.putJson(report, { name: 'evaluation-report', meta: { blessed: verdict.blessed, chosen: chosen.id } }),
    renderReportHtml(report).then((page) => deps.store.putBytes(page, { name: 'evaluation-page', mediaType: 'text/html; charset=utf-8', meta: { blessed: verdict.blessed } })),
  ]);
  const model: ArtifactRef = { ...chosenRef, meta: { ...chosenRef.meta, chosenBy: req.ctx.stepId } };
  return {
    artifacts: { model, 'evaluation-report': reportRef, 'evaluation-page': pageRef },
    summary: {
      blessed: verdict.blessed,
      reasons: verdict.reasons,
      primaryMetric,
      ...(meta.task ? { task: meta.task } : {}),
      chosen: { step: chosen.id, trainer: chosen.trainer, reason: selection.reason },
      metrics: finiteOnly(chosen.metrics),
      msPerRow: chosen.metrics.msPerRow,
      candidates: scored.map((c) => ({ step: c.id, trainer: c.trainer, [primaryMetric]: finiteOr(c.metrics[primaryMetric]), modelBytes: c.artifact.bytes })),
      champion: champion ? { version: champion.version, metrics: finiteOnly(champion.metrics) } : null,
      gates: verdict.gates,
      comparison,
      ...(params.recent ? { recent } : {}),
      report: reportRef.uri,
      page: pageRef.uri,
    },
  };
}

interface BinaryInputs {
  candidates: ReturnType<typeof distinct>;
  holdoutPath: string;
  label: string;
  slices: SliceKeys[];
}

/** Binary labels: every candidate and the champion scored, the best chosen, gated and compared. */
async function judgeBinary(deps: EvaluateDeps, req: StepRequest, params: EvaluateParams, log: Logger, o: BinaryInputs): Promise<Judged> {
  const judge = (ref: ArtifactRef) => score(deps, ref, o.holdoutPath, o.label, params.threshold, o.slices);

  // One at a time: each scoring run already uses the cores, and memory stays at one model's scores.
  const scored: ReportEntry[] = [];
  const rowScores: Float32Array[] = [];
  let labels: Uint8Array | undefined;
  for (const c of o.candidates) {
    const evaluation = await judge(c.ref);
    rowScores.push(evaluation.scores);
    labels = evaluation.labels;
    scored.push(entry(c.step, 'candidate', c.ref, evaluation, c.ref.meta));
    log.info({ candidate: c.step, auc: evaluation.metrics.auc, logLoss: evaluation.metrics.logLoss }, 'candidate scored');
  }
  const championVersion = await deps.registry.getAlias(req.ctx.model, 'champion');
  let champion: ReportEntry | null = null;
  let championScores: Float32Array | undefined;
  if (championVersion) {
    const evaluation = await judge(championVersion.artifact).catch((err: unknown) => {
      // A champion that cannot read today's data cannot be compared; the candidate must not win by default.
      throw new EvaluationError(`champion v${championVersion.version} could not be scored on this holdout: ${(err as Error).message}`, { cause: err });
    });
    champion = entry(`champion v${championVersion.version}`, 'champion', championVersion.artifact, evaluation, {
      trainer: championVersion.lineage.trainer,
      trainerVersion: championVersion.lineage.trainerVersion,
    });
    champion.version = championVersion.version;
    championScores = evaluation.scores;
  }

  const selection = selectCandidate(scored, params.primaryMetric);
  const chosen = scored[selection.index];
  const verdict = applyGates(params, chosen.metrics, champion?.metrics, {
    candidate: sliceTable(chosen.slices),
    champion: champion ? sliceTable(champion.slices) : undefined,
  });
  const spec = params.comparison;
  const days = championScores && spec !== 'off' && spec.stratify === 'day' ? await readHoldoutDays(o.holdoutPath) : undefined;
  const comparison = championScores && spec !== 'off'
    ? paired(spec, rowScores[selection.index], championScores, labels!, params.threshold, days)
    : null;
  if (comparison && !comparison.passed) {
    verdict.blessed = false;
    verdict.reasons.push(comparison.reason);
  }
  return { scored, champion, championRef: championVersion?.artifact, selection, verdict, comparison, primaryMetric: params.primaryMetric };
}

/** The paired gate; a comparison that cannot be computed (e.g. one class in the holdout) fails rather than blesses. */
function paired(spec: Exclude<EvaluateParams['comparison'], 'off'>, candidate: Float32Array, champion: Float32Array, labels: Uint8Array, threshold: number, days?: Int32Array): PairedComparison {
  try {
    return comparePaired(spec, candidate, champion, labels, threshold, days);
  } catch (err) {
    throw new EvaluationError(`the paired ${spec.metric} comparison with the champion could not be computed: ${(err as Error).message}`, { cause: err });
  }
}

async function score(deps: EvaluateDeps, ref: ArtifactRef, holdoutPath: string, label: string, threshold: number, slices: SliceKeys[]): Promise<ModelEvaluation> {
  const modelPath = await deps.store.localPath(ref);
  return evaluateModel(modelPath, holdoutPath, { label, threshold, slices, modelBytes: ref.bytes });
}
