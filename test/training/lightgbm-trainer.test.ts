/**
 * The LightGBM template trainer (trainers/lightgbm), run exactly as a pipeline runs it: through
 * its registration in trainers/registry.yaml and the command-trainer boundary, on real flights.
 * Its model meets the model contract as `slipway models import` checks it, and onnxruntime-node
 * scores the holdout as LightGBM did: binary on flights, multiclass and regression on the Seattle
 * weather. Needs `bash scripts/python-env.sh` (make setup runs it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { writeFlightsWindow, writeParquet } from '../../src/data/flights-window';
import { computeMetrics } from '../../src/evaluation/metrics';
import { computeMulticlassMetrics } from '../../src/evaluation/multiclass-metrics';
import { computeRegressionMetrics } from '../../src/evaluation/regression-metrics';
import type { FeatureSpec } from '../../src/training/feature-spec';
import { scoreModel } from '../../src/evaluation/score-model';
import { runCommandTrainer } from '../../src/training/command-trainer';
import { checkModelContract } from '../../src/training/model-contract-check';
import { loadTrainerRegistry } from '../../src/training/trainer-registry';
import type { TrainerProgress } from '../../src/training/trainer-contract';

const ROOT = join(__dirname, '..', '..');
const WEATHER = join(ROOT, 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');
const CLASSES = ['drizzle', 'fog', 'rain', 'snow', 'sun'];
const FEATURES = { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'], label: 'label' };

let dir: string;
let trainPath: string;
let holdoutPath: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, '.venv', 'bin', 'python'))) throw new Error('.venv is missing: run "bash scripts/python-env.sh" (make setup does)');
  dir = await mkdtemp(join(tmpdir(), 'slipway-lightgbm-'));
  trainPath = join(dir, 'train.parquet');
  holdoutPath = join(dir, 'holdout.parquet');
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-04');
  await writeFlightsWindow(holdoutPath, '2001-03-04', '2001-03-05');
  const select = (where: string) =>
    `SELECT precipitation, temp_max, temp_min, wind, CAST(month(date) AS VARCHAR) AS month, weather FROM read_csv(${sqlString(WEATHER)}) WHERE ${where} ORDER BY date`;
  await writeParquet(join(dir, 'weather-train.parquet'), select('year(date) < 2015'));
  await writeParquet(join(dir, 'weather-holdout.parquet'), select('year(date) = 2015'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('the lightgbm registered trainer', () => {
  it('trains through its registration, meets the model contract, and scores the holdout as LightGBM did', async () => {
    const registered = loadTrainerRegistry(join(ROOT, 'trainers', 'registry.yaml')).get('lightgbm');
    expect(registered?.params).toEqual(['numIterations', 'learningRate', 'numLeaves', 'minDataInLeaf', 'lambdaL2', 'maxBin']);
    const progress: TrainerProgress[] = [];
    const result = await runCommandTrainer({
      command: registered!.command,
      cwd: ROOT,
      trainPath,
      holdoutPath,
      features: FEATURES,
      params: { seed: 5, numIterations: 40 },
      workDir: join(dir, 'run'),
      onProgress: (p) => progress.push(p),
    });
    expect(result.trainer).toBe('lightgbm');
    expect(result.trainerVersion).toMatch(/^1\.1\.0 \(LightGBM 4\.7\.0, onnxmltools 1\.16\.0\)$/);
    expect(result.params).toMatchObject({ numIterations: 40, learningRate: 0.1, seed: 5 });
    expect(progress[0]).toEqual({ phase: 'loading', fraction: 0 });
    expect(progress.at(-1)).toEqual({ phase: 'done', fraction: 1 });

    await checkModelContract(result.modelPath, { task: 'binary', features: { numeric: FEATURES.numeric, categorical: FEATURES.categorical } });
    const scored = await scoreModel(result.modelPath, holdoutPath, { label: 'label' });
    const auc = computeMetrics(scored.scores, scored.labels).auc;
    expect(auc).toBeGreaterThan(0.6);
    expect(Math.abs(auc - Number(result.metrics.holdoutAuc))).toBeLessThan(1e-3);
    expect(result.metrics.onnxMaxAbsDiff).toBeLessThan(1e-4);
    expect(result.metrics.trainRows).toBeGreaterThan(40_000);
  }, 300_000);

  it('refuses a param its registration does not list, before training', async () => {
    const err = await runCommandTrainer({
      command: loadTrainerRegistry(join(ROOT, 'trainers', 'registry.yaml')).get('lightgbm')!.command,
      cwd: ROOT,
      trainPath,
      holdoutPath,
      features: FEATURES,
      params: { maxDepth: 3 },
      workDir: join(dir, 'bad'),
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/exited with code 2[\s\S]*params: unknown maxDepth for lightgbm; known: numIterations/);
  }, 120_000);
});

describe('the lightgbm trainer on the other task types', () => {
  const train = (name: string, features: FeatureSpec, target: { task: 'multiclass'; classes: string[] } | { task: 'regression' }) =>
    runCommandTrainer({
      command: loadTrainerRegistry(join(ROOT, 'trainers', 'registry.yaml')).get('lightgbm')!.command,
      cwd: ROOT,
      trainPath: join(dir, 'weather-train.parquet'),
      holdoutPath: join(dir, 'weather-holdout.parquet'),
      features,
      target,
      params: { seed: 5, numIterations: 60 },
      workDir: join(dir, name),
    });

  /** The holdout scored by onnxruntime-node from its raw columns, as the model server feeds them. */
  async function onnxOutputs(modelPath: string, features: FeatureSpec) {
    const rows = await withDuckDb({ threads: 1 }, (conn) => queryRows(conn, `SELECT * FROM read_parquet(${sqlString(join(dir, 'weather-holdout.parquet'))})`));
    const feeds: Record<string, ort.Tensor> = {};
    for (const c of features.numeric) feeds[c] = new ort.Tensor('float32', Float32Array.from(rows, (r) => Number(r[c])), [rows.length, 1]);
    for (const c of features.categorical) feeds[c] = new ort.Tensor('string', rows.map((r) => String(r[c])), [rows.length, 1]);
    const session = await ort.InferenceSession.create(modelPath);
    try {
      return { rows, out: await session.run(feeds) };
    } finally {
      await session.release();
    }
  }

  it('trains a multiclass model (weather) whose ONNX class probabilities give the log loss LightGBM reported', async () => {
    const features: FeatureSpec = { numeric: ['precipitation', 'temp_max', 'temp_min', 'wind'], categorical: ['month'], label: 'weather' };
    const result = await train('multiclass', features, { task: 'multiclass', classes: CLASSES });
    expect(result.trainerVersion).toMatch(/^1\.1\.0 /);
    await checkModelContract(result.modelPath, { task: 'multiclass', features, classes: CLASSES });
    const { rows, out } = await onnxOutputs(result.modelPath, features);
    expect(out.probabilities.dims).toEqual([rows.length, CLASSES.length]);
    const labels = Int32Array.from(rows, (r) => CLASSES.indexOf(String(r.weather)));
    const ours = computeMulticlassMetrics(out.probabilities.data as Float32Array, labels, CLASSES.length);
    expect(Math.abs(ours.logLoss - Number(result.metrics.holdoutLogLoss))).toBeLessThan(1e-3);
    expect(ours.accuracy).toBeCloseTo(Number(result.metrics.holdoutAccuracy), 3);
    // Better than always answering the most frequent class of 2015 (sun, about 0.6 of days).
    expect(ours.accuracy).toBeGreaterThan(0.7);
    expect(result.metrics.onnxMaxAbsDiff).toBeLessThan(1e-4);
  }, 300_000);

  it('trains a regression model (temp_max) whose ONNX values give the RMSE LightGBM reported', async () => {
    const features: FeatureSpec = { numeric: ['precipitation', 'temp_min', 'wind'], categorical: ['month', 'weather'], label: 'temp_max' };
    const result = await train('regression', features, { task: 'regression' });
    await checkModelContract(result.modelPath, { task: 'regression', features });
    const { rows, out } = await onnxOutputs(result.modelPath, features);
    expect(out.value.dims).toEqual([rows.length, 1]);
    const metrics = computeRegressionMetrics(out.value.data as Float32Array, Float64Array.from(rows, (r) => Number(r.temp_max)));
    expect(Math.abs(metrics.rmse - Number(result.metrics.holdoutRmse)) / metrics.rmse).toBeLessThan(1e-4);
    expect(metrics.r2).toBeGreaterThan(0.8);
  }, 300_000);
});
