/**
 * evaluate: scores the candidate and the current champion on the same holdout rows with
 * onnxruntime, computes the metrics in one place, and applies the spec's gates.
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { EvaluationError } from '../errors';
import { applyGates } from '../evaluation/gates';
import { computeMetrics } from '../evaluation/metrics';
import { scoreModel } from '../evaluation/score-model';
import type { EvaluateParams } from '../pipeline/step-params';
import type { ArtifactRef, StepOutput, StepRequest } from '../pipeline/types';
import type { ModelRegistry } from '../registry/model-registry';
import { findArtifact } from './upstream';

export interface EvaluateDeps {
  store: ArtifactStore;
  registry: ModelRegistry;
}

export async function evaluateCandidate(deps: EvaluateDeps, req: StepRequest, params: EvaluateParams, log: Logger): Promise<StepOutput> {
  const modelRef = findArtifact(req.inputs, 'model');
  const holdoutRef = findArtifact(req.inputs, 'holdout');
  const label = String(holdoutRef.meta?.label ?? 'label');
  const holdoutPath = await deps.store.localPath(holdoutRef);

  const candidate = await score(deps, modelRef, holdoutPath, label, params.threshold);
  const championVersion = await deps.registry.getAlias(req.ctx.model, 'champion');
  let champion: Awaited<ReturnType<typeof score>> | undefined;
  if (championVersion) {
    champion = await score(deps, championVersion.artifact, holdoutPath, label, params.threshold).catch((err: unknown) => {
      // A champion that cannot read today's data cannot be compared; the candidate must not win by default.
      throw new EvaluationError(`champion v${championVersion.version} could not be scored on this holdout: ${(err as Error).message}`, { cause: err });
    });
  }
  const verdict = applyGates(params, candidate.metrics, champion?.metrics);
  log.info({ blessed: verdict.blessed, reasons: verdict.reasons, auc: candidate.metrics.auc, championAuc: champion?.metrics.auc }, 'evaluated');

  const report = await deps.store.putJson(
    {
      kind: 'evaluation-report',
      model: req.ctx.model,
      candidate: { artifact: modelRef.uri, metrics: candidate.metrics, msPerRow: candidate.msPerRow },
      champion: championVersion
        ? { version: championVersion.version, artifact: championVersion.artifact.uri, metrics: champion?.metrics, msPerRow: champion?.msPerRow }
        : null,
      primaryMetric: params.primaryMetric,
      threshold: params.threshold,
      firstRun: params.firstRun,
      ...verdict,
    },
    { name: 'evaluation-report', meta: { blessed: verdict.blessed } },
  );
  return {
    artifacts: { 'evaluation-report': report },
    summary: {
      blessed: verdict.blessed,
      reasons: verdict.reasons,
      primaryMetric: params.primaryMetric,
      metrics: candidate.metrics,
      msPerRow: candidate.msPerRow,
      champion: championVersion ? { version: championVersion.version, metrics: champion?.metrics } : null,
      gates: verdict.gates,
      report: report.uri,
    },
  };
}

async function score(deps: EvaluateDeps, ref: ArtifactRef, holdoutPath: string, label: string, threshold: number) {
  const modelPath = await deps.store.localPath(ref);
  const scored = await scoreModel(modelPath, holdoutPath, { label });
  const { rows, ...metrics } = computeMetrics(scored.scores, scored.labels, threshold);
  return { metrics: { ...metrics } as Record<string, number>, rows, msPerRow: scored.msPerRow };
}
