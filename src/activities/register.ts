/**
 * register: records the candidate as an immutable model version with its lineage. Keyed
 * by the step's run-scoped key, so a retry after a crash finds the version it created.
 */
import type { ModelRegistry } from '../registry/model-registry';
import type { RegisterParams } from '../pipeline/step-params';
import { allUpstreamOf, upstreamOf, upstreamStep } from '../pipeline/step-outputs';
import type { StepOutputBody, StepRequest } from '../pipeline/types';
import { stepKey } from './step-activity';
import { findArtifact } from './upstream';

export interface RegisterDeps {
  registry: ModelRegistry;
  codeVersion?: string;
}

export async function registerVersion(deps: RegisterDeps, req: StepRequest, params: RegisterParams): Promise<StepOutputBody<'register'>> {
  const model = findArtifact(req.inputs, 'model');
  const ingest = upstreamOf(req.inputs, 'ingest')?.summary;
  const evaluation = upstreamOf(req.inputs, 'evaluate')?.summary;
  // With several candidates, the lineage is the one the evaluate step carried forward.
  const chosenStep = evaluation?.chosen.step;
  // An imported candidate (import step) won, or is the only one: lineage says so, with who brought it in and its digest.
  const importStep = (chosenStep ? upstreamStep(req.inputs, chosenStep, 'import') : undefined) ?? (upstreamOf(req.inputs, 'train') ? undefined : upstreamOf(req.inputs, 'import'));
  const imported = importStep?.summary;
  const training = imported ? undefined : ((chosenStep ? upstreamStep(req.inputs, chosenStep, 'train') : undefined)?.summary ?? upstreamOf(req.inputs, 'train')?.summary);
  const reports = ['validation-report', 'evaluation-report', 'evaluation-page'].flatMap((name) => {
    const ref = Object.values(req.inputs).find((o) => o?.artifacts[name])?.artifacts[name];
    return ref ? [[name, ref.uri] as const] : [];
  });
  // A batch released from quarantine: who accepted it and why stays with every model trained on it.
  const release = allUpstreamOf(req.inputs, 'validate').find((v) => v.summary.release)?.summary.release;
  const version = await deps.registry.registerVersion({
    model: req.ctx.model,
    idempotencyKey: stepKey(req),
    artifact: model,
    metrics: evaluation?.metrics ?? {},
    params: training?.params ?? {},
    lineage: {
      dataDigest: ingest?.dataDigest ?? '',
      specDigest: req.ctx.specDigest,
      workflowId: req.ctx.workflowId,
      runId: req.ctx.runId,
      pipeline: req.ctx.pipeline,
      trainer: training?.trainer ?? imported?.trainer ?? 'unknown',
      trainerVersion: training?.trainerVersion,
      trainStep: chosenStep,
      trainerCommand: training?.command,
      seed: training?.seed,
      features: training?.features ?? imported?.features,
      ...(imported ? { imported: { by: imported.importedBy, digest: imported.digest, source: imported.source, step: importStep!.step, task: imported.task } } : {}),
      ...(training?.warmStartedFrom !== undefined && { warmStartedFrom: training.warmStartedFrom }),
      candidates: evaluation?.candidates,
      codeVersion: deps.codeVersion,
      dataWindow: ingest?.window,
      blessed: evaluation?.blessed ?? null,
      // What the model server and the console read to answer per task: the ONNX outputs are `label` and
      // `probabilities` [N, K] in this class order (multiclass), or `value` [N, 1] (regression).
      ...taskOf(model.meta),
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
    summary: { model: version.model, version: version.version, blessed: evaluation?.blessed ?? null },
  };
}

/** The model's task and classes as its train step recorded them in the artifact meta; binary when none. */
function taskOf(meta: Record<string, unknown> | undefined): { task: 'binary' | 'multiclass' | 'regression'; classes?: string[] } {
  const task = meta?.task;
  if (task === 'multiclass' && Array.isArray(meta?.classes)) return { task, classes: meta.classes.map(String) };
  if (task === 'regression') return { task };
  return { task: 'binary' };
}
