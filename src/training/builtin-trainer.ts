/**
 * The built-in trainer: logistic regression fitted in a worker thread and exported to
 * ONNX. Running off the main thread keeps the Temporal worker's event loop free to
 * heartbeat while a fit of millions of rows runs.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { DataSourceError, InvalidPipelineInputError, TrainingError } from '../errors';
import type {
  BuiltinTrainerParams,
  SerializedError,
  TrainerThreadInput,
  TrainerThreadMessage,
  TrainingProgress,
} from './builtin-trainer-protocol';
import type { LoadTarget } from './load-training-data';
import type { FeatureSpec } from './feature-spec';
import { durationSchema } from '../duration/duration-schema';

export type { BuiltinTrainerParams, TrainingProgress } from './builtin-trainer-protocol';

export const BUILTIN_TRAINER = 'builtin-logistic-regression';
/** The built-in trainer's name in lineage per non-binary task. */
export const BUILTIN_TASK_TRAINERS = { multiclass: 'builtin-softmax-regression', regression: 'builtin-ridge-regression' } as const;
/** Bump when the same inputs would produce different model bytes. */
export const BUILTIN_TRAINER_VERSION = '1.1.0';
const MODEL_FILE = 'model.onnx';
/** After this long without the cancelled thread exiting, the run rejects anyway and the thread is left to finish. */
const ABORT_GRACE_MS = 30_000;

/** Hyper-parameters of the built-in trainer; defaults suit 10⁵–10⁷ rows (see ARCHITECTURE.md). */
export const builtinTrainerParamsSchema: z.ZodType<BuiltinTrainerParams, Partial<BuiltinTrainerParams>> = z
  .object({
    epochs: z.number().int().min(1).max(1000).default(5),
    learningRate: z.number().gt(0).max(10).default(0.05),
    l2: z.number().min(0).max(100).default(1e-6),
    batchSize: z.number().int().min(1).max(1_000_000).default(4096),
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    maxCategories: z.number().int().min(1).max(1_000_000).default(1000),
    /**
     * Train on the labels in a seeded random order, i.e. on noise: a model that scores every
     * row near the base rate. For canary drills (pipelines/flight-delay-bad-canary.yaml), never for real use.
     */
    shuffleLabels: z.boolean().default(false),
    /**
     * Recency weights: a row weighs 0.5^(age / half-life), its age counted back from the newest
     * row's ingest time (`event_time`; the ingest step needs a `timeColumn`). Binary labels only.
     * @default unset: every row weighs the same
     */
    recencyHalfLife: durationSchema.optional(),
    /**
     * Start the fit from the model's champion (its weights mapped onto this data's encoding) when
     * the champion is a built-in logistic regression over the same features; the champion's version
     * is recorded in the train summary and the registered version's lineage. Binary labels only.
     * Optional rather than defaulted so models trained without it keep their bytes.
     * @default false
     */
    warmStart: z.boolean().optional(),
    /**
     * With `warmStart`: weight of an `anchor/2 · ‖w − champion‖²` penalty beside `l2`'s (L2-SP), so
     * a retrain on the newest rows alone moves the champion only as far as those rows insist and
     * keeps what it learned from older ones. Without a champion to start from there is nothing to
     * pull toward and the fit is an ordinary cold start. @default unset: no pull
     */
    anchor: z.number().min(0).max(100).optional(),
  })
  .strict()
  .refine((p) => p.anchor === undefined || p.warmStart === true, { message: 'anchor needs warmStart: true (it pulls toward the weights the warm start begins from)', path: ['anchor'] });

/** Options of {@link runBuiltinTrainer}. */
export interface BuiltinTrainerOptions {
  /** Parquet file with the feature and label columns. */
  trainPath: string;
  features: FeatureSpec;
  /** Raw hyper-parameters, validated with {@link builtinTrainerParamsSchema}. */
  params?: Record<string, unknown>;
  /** Directory the model is written to (created if missing). */
  outputDir: string;
  /**
   * Multiclass (softmax regression) or regression (ridge, `alpha = l2 · rows`) instead of a binary label.
   * @default a binary 0/1 label: logistic regression
   */
  target?: LoadTarget;
  onProgress?: (progress: TrainingProgress) => void;
  /** With `params.warmStart`: the champion's ONNX file. Without it a warm-start run starts cold. */
  warmStartPath?: string;
  /**
   * Aborting stops the thread at its next check (a DuckDB query is interrupted, a fit stops
   * between mini-batches); the promise rejects with the signal's reason once it has exited.
   */
  signal?: AbortSignal;
}

/** Facts about a finished run, stored with the model. */
export interface BuiltinTrainerMetadata {
  trainer: typeof BUILTIN_TRAINER | (typeof BUILTIN_TASK_TRAINERS)[keyof typeof BUILTIN_TASK_TRAINERS];
  trainerVersion: string;
  params: BuiltinTrainerParams;
  trainRows: number;
  /** Regularised mean training log loss of the final weights. */
  finalLoss: number;
  /** With recency weights: Kish's effective sample size (Σw)²/Σw² of the training rows. */
  effectiveRows?: number;
  /** Whether the fit started from `warmStartPath`. */
  warmStarted: boolean;
  /** Wall time of the whole run, thread start-up included. */
  seconds: number;
  features: FeatureSpec;
}

export interface BuiltinTrainerResult {
  /** `<outputDir>/model.onnx`, following the model contract in ARCHITECTURE.md. */
  modelPath: string;
  metadata: BuiltinTrainerMetadata;
}

/**
 * Trains and exports a model in a worker thread.
 * @throws InvalidPipelineInputError for bad params, DataSourceError for unreadable data,
 * TrainingError for anything else, or the abort reason when `signal` aborts.
 */
export async function runBuiltinTrainer(options: BuiltinTrainerOptions): Promise<BuiltinTrainerResult> {
  const params = parseParams(options.params ?? {});
  if (options.target && params.shuffleLabels) {
    throw new InvalidPipelineInputError([`params.shuffleLabels: label-shuffling drills are for binary labels, not ${options.target.task}`]);
  }
  if (options.target && (params.recencyHalfLife !== undefined || params.warmStart)) {
    throw new InvalidPipelineInputError([`params.${params.warmStart ? 'warmStart' : 'recencyHalfLife'}: supported for binary labels only, not ${options.target.task}`]);
  }
  const warmStartPath = params.warmStart ? options.warmStartPath : undefined;
  options.signal?.throwIfAborted();
  await mkdir(options.outputDir, { recursive: true });
  const modelPath = join(options.outputDir, MODEL_FILE);
  const trainer = options.target ? BUILTIN_TASK_TRAINERS[options.target.task] : BUILTIN_TRAINER;
  const input: Omit<TrainerThreadInput, 'cancel'> = {
    trainPath: options.trainPath,
    features: options.features,
    params,
    modelPath,
    trainer,
    trainerVersion: BUILTIN_TRAINER_VERSION,
    ...(options.target ? { target: options.target } : {}),
    ...(warmStartPath ? { warmStartPath } : {}),
  };
  const started = performance.now();
  const done = await runThread(input, options);
  return {
    modelPath,
    metadata: {
      trainer,
      trainerVersion: BUILTIN_TRAINER_VERSION,
      params,
      trainRows: done.trainRows,
      finalLoss: done.finalLoss,
      ...(done.effectiveRows !== undefined && { effectiveRows: done.effectiveRows }),
      warmStarted: warmStartPath !== undefined,
      seconds: (performance.now() - started) / 1000,
      features: options.features,
    },
  };
}

function parseParams(raw: Record<string, unknown>): BuiltinTrainerParams {
  const parsed = builtinTrainerParamsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidPipelineInputError(
      parsed.error.issues.map((issue) => `params.${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

function runThread(
  input: Omit<TrainerThreadInput, 'cancel'>,
  { onProgress, signal }: BuiltinTrainerOptions,
): Promise<{ trainRows: number; finalLoss: number; effectiveRows?: number }> {
  return new Promise((resolve, reject) => {
    const cancel = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const worker = new Worker(threadEntry(), { workerData: { ...input, cancel } satisfies TrainerThreadInput });
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    // Cooperative: the thread stops at its next check and exits by itself. worker.terminate()
    // is avoided because it crashes the process when it lands inside a DuckDB query.
    const onAbort = (): void => {
      Atomics.store(new Int32Array(cancel), 0, 1);
      grace = setTimeout(() => settle(() => reject(abortReason(signal!))), ABORT_GRACE_MS);
      grace.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message: TrainerThreadMessage) => {
      if (signal?.aborted) return;
      if (message.type === 'progress') {
        onProgress?.(message.progress);
      } else if (message.type === 'done') {
        settle(() => resolve({ trainRows: message.trainRows, finalLoss: message.finalLoss, effectiveRows: message.effectiveRows }));
      } else {
        settle(() => reject(rebuildError(message.error)));
      }
    });
    worker.on('error', (err) =>
      settle(() => reject(new TrainingError(`trainer thread crashed: ${err.message}`, { cause: err }))),
    );
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          signal?.aborted
            ? abortReason(signal)
            : new TrainingError(`trainer thread exited with code ${code} before producing a model`),
        ),
      ),
    );
  });
}

/**
 * The thread's entry file. Next to the sources it is the plain-JS bootstrap that loads
 * TypeScript through tsx; a build that does not copy .js files still finds the compiled body.
 */
function threadEntry(): string {
  const bootstrap = join(__dirname, 'builtin-trainer-thread.js');
  return existsSync(bootstrap) ? bootstrap : join(__dirname, 'builtin-trainer-worker.js');
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('training was aborted', 'AbortError');
}

function rebuildError(error: SerializedError): Error {
  const cause = Object.assign(new Error(error.message), { name: error.name, stack: error.stack });
  if (error.name === 'DataSourceError') {
    return new DataSourceError(error.message, { cause, details: error.details });
  }
  return new TrainingError(`training failed: ${error.message}`, { cause, details: error.details });
}
