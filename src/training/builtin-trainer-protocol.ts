/**
 * Messages between runBuiltinTrainer and its worker thread. Plain JSON-like values only:
 * they are copied with the structured-clone algorithm.
 */
import type { FeatureSpec } from './feature-spec';
import type { LoadTarget } from './load-training-data';

/** Hyper-parameters after defaults are applied (see `builtinTrainerParamsSchema`). */
export interface BuiltinTrainerParams {
  epochs: number;
  learningRate: number;
  l2: number;
  batchSize: number;
  seed: number;
  maxCategories: number;
  shuffleLabels: boolean;
  /** Rows weigh 0.5^(age / half-life), age measured back from the newest row's `event_time` (a duration, e.g. "2 weeks"). */
  recencyHalfLife?: string;
  /** Start from the champion's weights when the model has a built-in logistic-regression champion. */
  warmStart?: boolean;
  /** With a warm start: weight of a penalty pulling the weights toward the champion's. */
  anchor?: number;
}

/** Where a training run is; sent as Temporal heartbeat details, so keep it small. */
export interface TrainingProgress {
  phase: 'loading' | 'fitting' | 'exporting';
  /** Overall completion in [0, 1]. */
  fraction: number;
  /** Last finished epoch (1-based) while fitting. */
  epoch?: number;
  epochs?: number;
  /** Mean training log loss of the last epoch, or the final loss once exporting. */
  loss?: number;
}

/** The thread's `workerData`. */
export interface TrainerThreadInput {
  trainPath: string;
  features: FeatureSpec;
  params: BuiltinTrainerParams;
  modelPath: string;
  trainer: string;
  trainerVersion: string;
  /** Multiclass or regression; absent for a binary 0/1 label (the logistic regression). */
  target?: LoadTarget;
  /** With `params.warmStart`: the champion's ONNX file to start from. */
  warmStartPath?: string;
  /**
   * One Int32 the parent sets to 1 to cancel. Shared memory rather than a message because
   * the fit is synchronous and never yields to the thread's event loop.
   */
  cancel: SharedArrayBuffer;
}

/** A failure as it crosses the thread boundary; rebuilt into a Slipway error by the parent. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  details?: Record<string, unknown>;
}

export type TrainerThreadMessage =
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'done'; trainRows: number; finalLoss: number; effectiveRows?: number }
  | { type: 'error'; error: SerializedError };
