/**
 * Body of the built-in trainer's worker thread: load → fit → export → write, reporting
 * progress to the parent. Loaded by builtin-trainer-thread.js, never imported by the
 * parent, so a long fit cannot block the activity worker's event loop.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { isSlipwayError } from '../errors';
import type { TrainerThreadInput, TrainerThreadMessage } from './builtin-trainer-protocol';
import { loadEncodedData, type EncodedData } from './load-training-data';
import { fitLogisticRegression, mulberry32 } from './logistic-regression';
import { toMs } from '../duration/duration';
import { effectiveRows, recencyWeights } from './recency-weights';
import { mapWarmStart, readLogisticModel } from './warm-start';
import { exportLogisticRegressionOnnx } from './onnx-export';
import { exportRidgeOnnx, exportSoftmaxOnnx } from './onnx-export-tasks';
import { fitRidgeRegression } from './ridge-regression';
import { fitSoftmaxRegression } from './softmax-regression';

// Share of the progress bar each phase takes; fitting dominates the wall time.
const LOADED_AT = 0.1;
const FITTED_AT = 0.95;
/** How often the loading phase looks at the cancel flag. */
const CANCEL_POLL_MS = 20;

async function train(input: TrainerThreadInput): Promise<void> {
  const { features, params } = input;
  const flag = new Int32Array(input.cancel);
  const isCancelled = (): boolean => Atomics.load(flag, 0) === 1;
  post({ type: 'progress', progress: { phase: 'loading', fraction: 0 } });
  const data = await loadCancellably(input, isCancelled);
  if (input.target) return trainTask(input, data, isCancelled);
  if (params.shuffleLabels) shuffleLabels(data.label, params.seed);
  const weight = params.recencyHalfLife === undefined ? undefined : recencyWeights(data.ageDays!, toMs(params.recencyHalfLife) / 86_400_000);
  const initial = input.warmStartPath ? mapWarmStart(readLogisticModel(await readFile(input.warmStartPath), features), data.encoding, features) : undefined;
  post({ type: 'progress', progress: { phase: 'fitting', fraction: LOADED_AT, epoch: 0, epochs: params.epochs } });

  const { anchor, ...fitParams } = params;
  const fit = fitLogisticRegression(
    { ...data, cardinalities: features.categorical.map((c) => data.encoding.vocab[c].length + 1), ...(weight && { weight }) },
    {
      ...fitParams,
      // Without a champion to start from there is nothing to pull toward: a plain cold start.
      ...(initial && { initial, ...(anchor !== undefined && { anchor }) }),
      isCancelled,
      onEpoch: ({ epoch, epochs, loss }) =>
        post({
          type: 'progress',
          progress: { phase: 'fitting', epoch, epochs, loss, fraction: LOADED_AT + ((FITTED_AT - LOADED_AT) * epoch) / epochs },
        }),
    },
  );

  post({ type: 'progress', progress: { phase: 'exporting', fraction: FITTED_AT, loss: fit.finalLoss } });
  const bytes = exportLogisticRegressionOnnx({
    features,
    encoding: data.encoding,
    model: fit.model,
    producerVersion: input.trainerVersion,
    // Only facts that are the same on every run with the same inputs, so the bytes are too.
    metadata: {
      'slipway.trainer': input.trainer,
      'slipway.trainer_version': input.trainerVersion,
      'slipway.params': JSON.stringify(params),
      'slipway.features': JSON.stringify(features),
      'slipway.train_rows': String(data.rows),
    },
  });
  if (isCancelled()) throw abortError();
  // Written under a temporary name first so a crash never leaves half a model behind.
  const partial = `${input.modelPath}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, input.modelPath);
  post({ type: 'done', trainRows: data.rows, finalLoss: fit.finalLoss, ...(weight && { effectiveRows: effectiveRows(weight) }) });
}

/** Multiclass (softmax regression) or regression (ridge): the same phases, the task's fit and export. */
async function trainTask(input: TrainerThreadInput, data: EncodedData, isCancelled: () => boolean): Promise<void> {
  const { features, params, target } = input;
  const cardinalities = features.categorical.map((c) => data.encoding.vocab[c].length + 1);
  const metadata = {
    'slipway.trainer': input.trainer,
    'slipway.trainer_version': input.trainerVersion,
    'slipway.params': JSON.stringify(params),
    'slipway.features': JSON.stringify(features),
    'slipway.train_rows': String(data.rows),
  };
  post({ type: 'progress', progress: { phase: 'fitting', fraction: LOADED_AT, epoch: 0, epochs: params.epochs } });
  let bytes: Uint8Array;
  let finalLoss: number;
  if (target!.task === 'multiclass') {
    const { classes } = target as { classes: string[] };
    const fit = fitSoftmaxRegression(
      { ...data, cardinalities, label: data.classIndex!, classes: classes.length },
      {
        ...params,
        isCancelled,
        onEpoch: ({ epoch, epochs, loss }) =>
          post({ type: 'progress', progress: { phase: 'fitting', epoch, epochs, loss, fraction: LOADED_AT + ((FITTED_AT - LOADED_AT) * epoch) / epochs } }),
      },
    );
    finalLoss = fit.finalLoss;
    post({ type: 'progress', progress: { phase: 'exporting', fraction: FITTED_AT, loss: finalLoss } });
    bytes = exportSoftmaxOnnx({ features, encoding: data.encoding, model: fit.model, classes, producerVersion: input.trainerVersion, metadata });
  } else {
    // l2 weighs ‖w‖²/2 against the mean loss, as for the classifiers; with half squared error that is Ridge's alpha = l2 · n.
    const fit = fitRidgeRegression({ ...data, cardinalities, target: data.target! }, { alpha: params.l2 * data.rows, isCancelled });
    finalLoss = fit.trainRmse;
    post({ type: 'progress', progress: { phase: 'exporting', fraction: FITTED_AT, loss: finalLoss } });
    bytes = exportRidgeOnnx({ features, encoding: data.encoding, model: fit.model, producerVersion: input.trainerVersion, metadata });
  }
  if (isCancelled()) throw abortError();
  const partial = `${input.modelPath}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, input.modelPath);
  post({ type: 'done', trainRows: data.rows, finalLoss });
}

/**
 * Loads the training data, interrupting DuckDB when the parent cancels. The thread is
 * never terminated while DuckDB runs: node-bindings aborts the whole process when a
 * thread dies under a running query.
 */
async function loadCancellably(input: TrainerThreadInput, isCancelled: () => boolean) {
  const controller = new AbortController();
  const poll = setInterval(() => {
    if (isCancelled()) controller.abort(abortError());
  }, CANCEL_POLL_MS);
  try {
    return await loadEncodedData(input.trainPath, input.features, {
      maxCategories: input.params.maxCategories,
      signal: controller.signal,
      ...(input.target ? { target: input.target } : {}),
      // The ingest step's name for the time column (src/activities/ingest.ts).
      ...(input.params.recencyHalfLife !== undefined ? { ageColumn: 'event_time' } : {}),
    });
  } finally {
    clearInterval(poll);
  }
}

/** Fisher–Yates with the run's seed: the same drill model every time. */
function shuffleLabels(label: Uint8Array, seed: number): void {
  const random = mulberry32((seed ^ 0x5f3759df) >>> 0);
  for (let i = label.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = label[i];
    label[i] = label[j];
    label[j] = t;
  }
}

function abortError(): DOMException {
  return new DOMException('training was cancelled', 'AbortError');
}

function post(message: TrainerThreadMessage): void {
  parentPort!.postMessage(message);
}

train(workerData as TrainerThreadInput).catch((err: unknown) => {
  const error = err instanceof Error ? err : new Error(String(err));
  post({
    type: 'error',
    error: {
      name: error.name,
      message: error.message,
      stack: error.stack,
      details: isSlipwayError(error) ? error.details : undefined,
    },
  });
});
