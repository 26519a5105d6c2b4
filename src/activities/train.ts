/**
 * train: runs the configured trainer off the main thread, turns its progress into
 * heartbeats (visible in the UI as heartbeat details), honours cancellation, and stores
 * the ONNX model it exports.
 */
import { rm } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { TrainingError } from '../errors';
import type { TrainParams } from '../pipeline/step-params';
import type { StepOutput, StepRequest } from '../pipeline/types';
import { runBuiltinTrainer } from '../training/builtin-trainer';
import { findArtifact } from './upstream';

export interface TrainDeps {
  store: ArtifactStore;
}

export async function trainCandidate(deps: TrainDeps, req: StepRequest, params: TrainParams, log: Logger): Promise<StepOutput> {
  const trainRef = findArtifact(req.inputs, 'train');
  const label = String(trainRef.meta?.label ?? 'label');
  const available = (trainRef.meta?.features as string[] | undefined) ?? [];
  const wanted = [...params.features.numeric, ...params.features.categorical];
  const unknown = wanted.filter((f) => !available.includes(f));
  if (unknown.length > 0) {
    throw new TrainingError(`features: ${unknown.join(', ')} not in the ingested data (available: ${available.join(', ')})`);
  }
  const trainPath = await deps.store.localPath(trainRef);
  const outputDir = await deps.store.scratchDir(`train-${req.ctx.stepId}`);
  const ctx = Context.current();
  try {
    const result = await runBuiltinTrainer({
      trainPath,
      features: { ...params.features, label },
      params: params.params,
      outputDir,
      signal: ctx.cancellationSignal,
      onProgress: (progress) => {
        ctx.heartbeat(progress);
        log.debug({ progress }, 'training progress');
      },
    });
    const model = await deps.store.put(
      result.modelPath,
      {
        name: 'model',
        mediaType: 'application/onnx',
        meta: { trainer: result.metadata.trainer, trainerVersion: result.metadata.trainerVersion, label, features: params.features },
      },
      { move: true },
    );
    return {
      artifacts: { model },
      summary: {
        trainer: result.metadata.trainer,
        trainerVersion: result.metadata.trainerVersion,
        params: result.metadata.params,
        trainRows: result.metadata.trainRows,
        finalLoss: result.metadata.finalLoss,
        trainSeconds: result.metadata.seconds,
        modelBytes: model.bytes,
      },
    };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}
