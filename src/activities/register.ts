/**
 * register: records the candidate as an immutable model version with its lineage. Keyed
 * by the step's run-scoped key, so a retry after a crash finds the version it created.
 */
import type { ModelRegistry } from '../registry/model-registry';
import type { RegisterParams } from '../pipeline/step-params';
import type { StepOutput, StepRequest } from '../pipeline/types';
import { stepKey } from './step-activity';
import { findArtifact, findSummary } from './upstream';

export interface RegisterDeps {
  registry: ModelRegistry;
  codeVersion?: string;
}

export async function registerVersion(deps: RegisterDeps, req: StepRequest, params: RegisterParams): Promise<StepOutput> {
  const model = findArtifact(req.inputs, 'model');
  const ingest = findSummary(req.inputs, 'dataDigest') ?? {};
  const evaluation = findSummary(req.inputs, 'gates') ?? {};
  // With several candidates, the lineage is the one the evaluate step carried forward.
  const chosenStep = (evaluation.chosen as { step?: string } | undefined)?.step;
  const training = (chosenStep ? req.inputs[chosenStep]?.summary : undefined) ?? findSummary(req.inputs, 'trainer') ?? {};
  const reports = ['validation-report', 'evaluation-report', 'evaluation-page'].flatMap((name) => {
    const ref = Object.values(req.inputs).find((o) => o?.artifacts[name])?.artifacts[name];
    return ref ? [[name, ref.uri] as const] : [];
  });
  // A batch released from quarantine: who accepted it and why stays with every model trained on it.
  const release = Object.values(req.inputs).find((o) => o?.summary?.release)?.summary?.release;
  const version = await deps.registry.registerVersion({
    model: req.ctx.model,
    idempotencyKey: stepKey(req),
    artifact: model,
    metrics: (evaluation.metrics as Record<string, number> | undefined) ?? {},
    params: (training.params as Record<string, unknown> | undefined) ?? {},
    lineage: {
      dataDigest: String(ingest.dataDigest ?? ''),
      specDigest: req.ctx.specDigest,
      workflowId: req.ctx.workflowId,
      runId: req.ctx.runId,
      pipeline: req.ctx.pipeline,
      trainer: String(training.trainer ?? 'unknown'),
      trainerVersion: training.trainerVersion as string | undefined,
      trainStep: chosenStep,
      trainerCommand: training.command,
      seed: training.seed,
      features: training.features,
      candidates: evaluation.candidates,
      codeVersion: deps.codeVersion,
      dataWindow: ingest.window,
      blessed: evaluation.blessed ?? null,
      ...Object.fromEntries(reports),
      ...(release ? { dataRelease: release } : {}),
      // Later runs validate against these: the training snapshot (drift reference) and the data schema.
      trainData: Object.values(req.inputs).find((o) => o?.artifacts.train)?.artifacts.train,
      // ... and the holdout, on which the champion's own calibration is the baseline of label consistency.
      holdoutData: Object.values(req.inputs).find((o) => o?.artifacts.holdout)?.artifacts.holdout,
      schema: Object.values(req.inputs).find((o) => o?.artifacts.schema)?.artifacts.schema,
    },
    tags: params.tags,
    description: params.description,
  });
  return {
    artifacts: { model },
    summary: { model: version.model, version: version.version, blessed: evaluation.blessed ?? null },
  };
}
