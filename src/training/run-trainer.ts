/**
 * One entry point for every trainer kind: the train activity and the benchmark call this,
 * and get the same description of the model back whoever trained it.
 */
import { runBuiltinTrainer } from './builtin-trainer';
import { runCommandTrainer } from './command-trainer';
import type { FeatureSpec } from './feature-spec';
import type { LoadTarget } from './load-training-data';
import { seedOf, type TrainerProgress } from './trainer-contract';

/** Options of {@link runTrainer}. */
export interface RunTrainerOptions {
  trainer: 'builtin' | 'command';
  /** For `command`: executable and arguments (see {@link runCommandTrainer}). */
  command?: string[];
  env?: Record<string, string>;
  /** For `command`: names of the worker's variables passed through (registered trainers only). */
  passEnv?: readonly string[];
  /** For `command`: name in lineage when the trainer names none. */
  name?: string;
  /** For `command`: working directory. @default process.cwd() */
  cwd?: string;
  trainPath: string;
  holdoutPath: string;
  features: FeatureSpec;
  params: Record<string, unknown>;
  /** Multiclass or regression; absent for a binary label. Command trainers get it in their request (`task`, `classes`). */
  target?: LoadTarget;
  /** Built-in trainer with `params.warmStart`: the champion's ONNX file to start from. */
  warmStartPath?: string;
  /** A fresh scratch folder; the model ends up inside it. */
  workDir: string;
  onProgress?: (progress: TrainerProgress) => void;
  onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
  signal?: AbortSignal;
}

/** A trained model and the facts lineage needs to reproduce it. */
export interface TrainedModel {
  /** ONNX file following the model contract, inside `workDir`. */
  modelPath: string;
  trainer: string;
  trainerVersion?: string;
  /** The params the trainer used, defaults applied where the trainer reports them. */
  params: Record<string, unknown>;
  seed: number;
  /** Training-time figures the trainer reported (rows, loss, fit time, its own holdout view). */
  metrics: Record<string, number | null>;
  /** Wall time of the whole run, start-up included. */
  seconds: number;
  /** For command trainers: the command as configured (placeholders unexpanded). */
  command?: string[];
}

export async function runTrainer(o: RunTrainerOptions): Promise<TrainedModel> {
  if (o.trainer === 'builtin') {
    const { modelPath, metadata } = await runBuiltinTrainer({
      trainPath: o.trainPath,
      features: o.features,
      params: o.params,
      ...(o.target ? { target: o.target } : {}),
      ...(o.warmStartPath ? { warmStartPath: o.warmStartPath } : {}),
      outputDir: o.workDir,
      signal: o.signal,
      onProgress: o.onProgress && ((p) => o.onProgress!({ ...p })),
    });
    return {
      modelPath,
      trainer: metadata.trainer,
      trainerVersion: metadata.trainerVersion,
      params: { ...metadata.params },
      seed: metadata.params.seed,
      metrics: { trainRows: metadata.trainRows, finalLoss: metadata.finalLoss, ...(metadata.effectiveRows !== undefined && { effectiveRows: metadata.effectiveRows }) },
      seconds: metadata.seconds,
    };
  }
  const result = await runCommandTrainer({
    command: o.command ?? [],
    env: o.env,
    passEnv: o.passEnv,
    name: o.name,
    cwd: o.cwd,
    trainPath: o.trainPath,
    holdoutPath: o.holdoutPath,
    features: o.features,
    params: o.params,
    ...(o.target ? { target: o.target } : {}),
    workDir: o.workDir,
    onProgress: o.onProgress,
    onOutput: o.onOutput,
    signal: o.signal,
  });
  return {
    modelPath: result.modelPath,
    trainer: result.trainer,
    trainerVersion: result.trainerVersion,
    params: result.params,
    seed: seedOf(o.params),
    metrics: result.metrics,
    seconds: result.seconds,
    command: o.command,
  };
}
