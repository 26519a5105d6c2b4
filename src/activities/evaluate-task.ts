/**
 * evaluate for multiclass and regression labels: every candidate and the champion scored on the
 * same holdout rows with the task's metrics, the best chosen by the primary metric, gated (slices
 * included) and compared with the champion by a paired z-test on per-row losses. The binary half
 * is in evaluate.ts; both write the same report shape (src/evaluation/ARCHITECTURE.md).
 */
import type { Logger } from 'pino';
import { EvaluationError } from '../errors';
import { sliceTable } from '../evaluation/evaluate-model';
import { evaluateTaskModel, type TaskEvaluation } from '../evaluation/evaluate-task-model';
import type { ReportEntry } from '../evaluation/evaluation-report';
import { applyGates } from '../evaluation/gates';
import { comparePerRow, type PairedComparison } from '../evaluation/paired-gate';
import { selectCandidate } from '../evaluation/select-candidate';
import type { SliceKeys } from '../evaluation/slices';
import type { EvaluateParams } from '../pipeline/step-params';
import { comparisonMetricFor, primaryMetricFor } from '../pipeline/task-metrics';
import type { ArtifactRef, StepRequest } from '../pipeline/types';
import type { LoadTarget } from '../training/load-training-data';
import type { SnapshotMeta } from '../validation/snapshot-meta';
import type { EvaluateDeps } from './evaluate';
import { entry, type Judged } from './evaluate-shared';
import type { UpstreamArtifact } from './upstream';

export interface TaskInputs {
  candidates: UpstreamArtifact[];
  holdoutPath: string;
  label: string;
  slices: SliceKeys[];
  meta: SnapshotMeta;
}

export async function judgeTaskCandidates(deps: EvaluateDeps, req: StepRequest, params: EvaluateParams, log: Logger, o: TaskInputs): Promise<Judged> {
  const task = o.meta.task!;
  const target = targetOf(o.meta);
  const primaryMetric = primaryMetricFor(task, params.primaryMetric);
  const judge = async (ref: ArtifactRef) =>
    evaluateTaskModel(await deps.store.localPath(ref), o.holdoutPath, { label: o.label, target, slices: o.slices, modelBytes: ref.bytes });

  // One at a time, as for binary models: each scoring run already uses the cores.
  const scored: ReportEntry[] = [];
  const evaluations: TaskEvaluation[] = [];
  for (const c of o.candidates) {
    const evaluation = await judge(c.ref);
    evaluations.push(evaluation);
    scored.push(entry(c.step, 'candidate', c.ref, evaluation, c.ref.meta));
    log.info({ candidate: c.step, task, [primaryMetric]: evaluation.metrics[primaryMetric] }, 'candidate scored');
  }
  const championVersion = await deps.registry.getAlias(req.ctx.model, 'champion');
  let champion: ReportEntry | null = null;
  let championEvaluation: TaskEvaluation | undefined;
  if (championVersion) {
    championEvaluation = await judge(championVersion.artifact).catch((err: unknown) => {
      // A champion that cannot read today's data (another task, other classes) cannot be compared; the candidate must not win by default.
      throw new EvaluationError(`champion v${championVersion.version} could not be scored on this holdout: ${(err as Error).message}`, { cause: err });
    });
    champion = entry(`champion v${championVersion.version}`, 'champion', championVersion.artifact, championEvaluation, {
      trainer: championVersion.lineage.trainer,
      trainerVersion: championVersion.lineage.trainerVersion,
    });
    champion.version = championVersion.version;
  }

  const selection = selectCandidate(scored, primaryMetric);
  const chosen = scored[selection.index];
  const verdict = applyGates(params, chosen.metrics, champion?.metrics, {
    candidate: sliceTable(chosen.slices),
    champion: champion ? sliceTable(champion.slices) : undefined,
  });
  let comparison: PairedComparison | null = null;
  if (championEvaluation && params.comparison !== 'off') {
    if (params.comparison.stratify) {
      throw new EvaluationError(`comparison.stratify: ${params.comparison.stratify} compares AUCs within days and applies to binary labels only; this holdout's task is ${task}. Remove stratify.`);
    }
    const spec = { ...params.comparison, metric: comparisonMetricFor(task, params.comparison.metric) };
    try {
      comparison = comparePerRow(spec, evaluations[selection.index].perRow(spec.metric), championEvaluation.perRow(spec.metric));
    } catch (err) {
      throw new EvaluationError(`the paired ${spec.metric} comparison with the champion could not be computed: ${(err as Error).message}`, { cause: err });
    }
    if (!comparison.passed) {
      verdict.blessed = false;
      verdict.reasons.push(comparison.reason);
    }
  }
  return { scored, champion, championRef: championVersion?.artifact, selection, verdict, comparison, primaryMetric };
}

/** How the holdout's label is read: class indices by the snapshot's class list, or a number. */
export function targetOf(meta: SnapshotMeta): LoadTarget {
  if (meta.task === 'regression') return { task: 'regression' };
  if (!meta.classes || meta.classes.length < 2) {
    throw new EvaluationError(`the holdout's multiclass label "${meta.label}" has no class list in its snapshot meta; re-run ingest`);
  }
  return { task: 'multiclass', classes: meta.classes };
}
