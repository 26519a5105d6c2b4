/**
 * train: runs the configured trainer (built-in thread or contract-following command),
 * turns its progress into heartbeats (visible in the UI as heartbeat details), honours
 * cancellation, and stores the ONNX model it exports.
 */
import { rm } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { TrainingError } from '../errors';
import type { TrainParams } from '../pipeline/step-params';
import type { StepOutputBody, StepRequest } from '../pipeline/types';
import { runTrainer } from '../training/run-trainer';
import type { TrainerProgress } from '../training/trainer-contract';
import { startHeartbeat } from './heartbeat';
import { findArtifact } from './upstream';
import { snapshotMeta } from '../validation/snapshot-meta';
import type { ArtifactRef } from '../pipeline/types';
import type { LoadTarget } from '../training/load-training-data';
import type { ModelRegistry } from '../registry/model-registry';
import { BUILTIN_TRAINER } from '../training/builtin-trainer';

export interface TrainDeps {
  store: ArtifactStore;
  /**
   * How often the last progress is re-sent while a trainer is silent, so a long fit that
   * reports nothing (one scikit-learn `fit` call) does not look dead to the heartbeat timeout.
   * @default 10000
   */
  heartbeatEveryMs?: number;
  /** Where `params.warmStart` finds the champion. @default none: every fit starts cold */
  registry?: Pick<ModelRegistry, 'getAlias'>;
}

/** The champion a warm start began from (recorded in the train summary and the version's lineage). */
export interface WarmStartSource {
  version: number;
  sha256: string;
}

/** Train params after a registered trainer's name was replaced by its registration (src/training/trainer-registry.ts). */
export type ResolvedTrainParams = TrainParams & { passEnv?: readonly string[]; registered?: string };

export async function trainCandidate(deps: TrainDeps, req: StepRequest, params: ResolvedTrainParams, log: Logger): Promise<StepOutputBody<'train'>> {
  const trainRef = findArtifact(req.inputs, 'train');
  const holdoutRef = findArtifact(req.inputs, 'holdout');
  const label = String(trainRef.meta?.label ?? 'label');
  const target = trainTarget(trainRef);
  const available = (trainRef.meta?.features as string[] | undefined) ?? [];
  const wanted = [...params.features.numeric, ...params.features.categorical];
  const unknown = wanted.filter((f) => !available.includes(f));
  if (unknown.length > 0) {
    throw new TrainingError(`features: ${unknown.join(', ')} not in the ingested data (available: ${available.join(', ')})`);
  }
  const [trainPath, holdoutPath] = await Promise.all([deps.store.localPath(trainRef), deps.store.localPath(holdoutRef)]);
  const warm = params.trainer === 'builtin' && params.params?.warmStart === true ? await warmStartSource(deps, req.ctx.model, target) : undefined;
  const workDir = await deps.store.scratchDir(`train-${req.ctx.stepId}`);
  const ctx = Context.current();
  // Every progress report is a heartbeat; the last one repeats on a timer while the trainer is quiet.
  const heartbeat = startHeartbeat<TrainerProgress & { step: string }>(ctx, deps.heartbeatEveryMs ?? 10_000, { step: req.ctx.stepId, phase: 'starting' });
  try {
    const result = await runTrainer({
      trainer: params.trainer === 'builtin' ? 'builtin' : 'command',
      command: params.command,
      env: params.env,
      passEnv: params.passEnv,
      name: params.name,
      trainPath,
      holdoutPath,
      features: { ...params.features, label },
      params: params.params,
      ...(target ? { target } : {}),
      ...(warm ? { warmStartPath: warm.path } : {}),
      workDir,
      signal: ctx.cancellationSignal,
      onProgress: (progress) => {
        heartbeat.report({ step: req.ctx.stepId, ...progress });
        log.debug({ progress }, 'training progress');
      },
      onOutput: (stream, line) => log.debug({ stream, line }, 'trainer output'),
    });
    const model = await deps.store.put(
      result.modelPath,
      {
        name: 'model',
        mediaType: 'application/onnx',
        meta: {
          trainer: result.trainer,
          trainerVersion: result.trainerVersion,
          step: req.ctx.stepId,
          seed: result.seed,
          label,
          features: params.features,
          // Binary models carry no task, so their meta is as before.
          ...(target ? { task: target.task } : {}),
          ...(target?.task === 'multiclass' ? { classes: target.classes } : {}),
        },
      },
      { move: true },
    );
    log.info({ trainer: result.trainer, seconds: result.seconds, modelBytes: model.bytes }, 'trained');
    return {
      artifacts: { model },
      summary: {
        trainer: result.trainer,
        trainerVersion: result.trainerVersion,
        trainerKind: params.trainer,
        ...(params.registered ? { registeredTrainer: params.registered } : {}),
        ...(result.command ? { command: result.command } : {}),
        params: result.params,
        seed: result.seed,
        features: params.features,
        trainMetrics: result.metrics,
        trainRows: result.metrics.trainRows ?? undefined,
        finalLoss: result.metrics.finalLoss ?? undefined,
        trainSeconds: result.seconds,
        modelBytes: model.bytes,
        // null: warm start asked for, no built-in binary champion to start from (a cold start).
        ...(params.params?.warmStart === true && { warmStartedFrom: warm ? warm.source : null }),
      },
    };
  } finally {
    heartbeat.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}


/** The champion's model file when it can seed this fit: a built-in binary logistic regression. */
async function warmStartSource(deps: TrainDeps, model: string, target: LoadTarget | undefined): Promise<{ path: string; source: WarmStartSource } | undefined> {
  if (target || !deps.registry) return undefined;
  const champion = await deps.registry.getAlias(model, 'champion');
  if (!champion || champion.artifact.meta?.trainer !== BUILTIN_TRAINER || champion.artifact.meta?.task !== undefined) return undefined;
  return { path: await deps.store.localPath(champion.artifact), source: { version: champion.version, sha256: champion.artifact.sha256 } };
}

/** The snapshot's non-binary task as the trainers take it (ingest records task and classes); undefined for binary. */
function trainTarget(ref: ArtifactRef): LoadTarget | undefined {
  const meta = snapshotMeta(ref);
  if (meta.task === 'regression') return { task: 'regression' };
  if (meta.task === 'multiclass') {
    if (!meta.classes || meta.classes.length < 2) throw new TrainingError('the multiclass training snapshot records no class list; re-run ingest');
    return { task: 'multiclass', classes: meta.classes };
  }
  return undefined;
}
