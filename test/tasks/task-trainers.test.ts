/**
 * The built-in multiclass (softmax) and regression (ridge) trainers on the Seattle weather data
 * (vega-datasets; 2012–2014 train, 2015 holdout): the exported ONNX model, run by onnxruntime-node on
 * raw holdout columns, predicts what the TypeScript model predicts; and the fits match scikit-learn's
 * LogisticRegression and Ridge on the same features (test/tasks/task-trainers-reference.py).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { writeParquet } from '../../src/data/flights-window';
import { computeMulticlassMetrics } from '../../src/evaluation/multiclass-metrics';
import { computeRegressionMetrics } from '../../src/evaluation/regression-metrics';
import type { FeatureSpec } from '../../src/training/feature-spec';
import { loadEncodedData, type EncodedData, type LoadTarget } from '../../src/training/load-training-data';
import { exportRidgeOnnx, exportSoftmaxOnnx } from '../../src/training/onnx-export-tasks';
import { fitRidgeRegression, predictRidgeRow } from '../../src/training/ridge-regression';
import { fitSoftmaxRegression, predictSoftmaxRow } from '../../src/training/softmax-regression';

const SOURCE = path.join(__dirname, '../../node_modules/vega-datasets/data/seattle-weather.csv');
const PYTHON = path.join(__dirname, '../../.venv/bin/python');
const CLASSES = ['drizzle', 'fog', 'rain', 'snow', 'sun'];

let dir: string;
const files = { train: '', holdout: '' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-task-trainers-'));
  const select = (where: string) =>
    `SELECT precipitation, temp_max, temp_min, wind, CAST(month(date) AS VARCHAR) AS month, weather FROM read_csv(${sqlString(SOURCE)}) WHERE ${where} ORDER BY date`;
  files.train = path.join(dir, 'train.parquet');
  files.holdout = path.join(dir, 'holdout.parquet');
  await writeParquet(files.train, select('year(date) < 2015'));
  await writeParquet(files.holdout, select('year(date) = 2015'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

async function load(features: FeatureSpec, target: LoadTarget) {
  const train = await loadEncodedData(files.train, features, { target });
  const holdout = await loadEncodedData(files.holdout, features, { target, encoding: train.encoding });
  const cardinalities = features.categorical.map((c) => train.encoding.vocab[c].length + 1);
  return { train, holdout, cardinalities };
}

/** The holdout's raw columns as ONNX feeds: what a caller of the model server sends. */
async function rawFeeds(features: FeatureSpec): Promise<Record<string, ort.Tensor>> {
  const rows = await withDuckDb({ threads: 1 }, (conn) => queryRows(conn, `SELECT * FROM read_parquet(${sqlString(files.holdout)})`));
  const feeds: Record<string, ort.Tensor> = {};
  for (const c of features.numeric) feeds[c] = new ort.Tensor('float32', Float32Array.from(rows, (r) => Number(r[c])), [rows.length, 1]);
  for (const c of features.categorical) feeds[c] = new ort.Tensor('string', rows.map((r) => String(r[c])), [rows.length, 1]);
  return feeds;
}

const asJson = (d: EncodedData, y: ArrayLike<number>) => ({
  numeric: d.numeric.map((col) => Array.from(col)),
  categorical: d.categorical.map((col) => Array.from(col)),
  y: Array.from(y),
});

describe('softmax regression (multiclass weather from temperatures, precipitation, wind and month)', () => {
  const features: FeatureSpec = { numeric: ['precipitation', 'temp_max', 'temp_min', 'wind'], categorical: ['month'], label: 'weather' };
  const l2 = 1e-3;

  it('exports an ONNX model whose class probabilities and labels equal the TypeScript model, and fits as well as scikit-learn', async () => {
    const { train, holdout, cardinalities } = await load(features, { task: 'multiclass', classes: CLASSES });
    const design = { ...train, cardinalities, label: train.classIndex!, classes: CLASSES.length };
    const { model, finalLoss } = fitSoftmaxRegression(design, { epochs: 300, learningRate: 0.05, l2, batchSize: 64, seed: 7 });
    expect(finalLoss).toBeLessThan(1.0);

    const session = await ort.InferenceSession.create(exportSoftmaxOnnx({ features, encoding: train.encoding, model, classes: CLASSES }));
    try {
      expect(session.outputNames).toEqual(['label', 'probabilities']);
      const out = await session.run(await rawFeeds(features));
      const probabilities = out.probabilities.data as Float32Array;
      const labels = out.label.data as string[];
      expect(out.probabilities.dims).toEqual([holdout.rows, CLASSES.length]);
      let maxDiff = 0;
      for (let i = 0; i < holdout.rows; i++) {
        const want = predictSoftmaxRow(model, holdout, i);
        want.forEach((p, k) => (maxDiff = Math.max(maxDiff, Math.abs(p - probabilities[i * CLASSES.length + k]))));
        expect(labels[i]).toBe(CLASSES[want.indexOf(Math.max(...want))]);
      }
      expect(maxDiff).toBeLessThan(1e-5);

      const ours = computeMulticlassMetrics(probabilities, holdout.classIndex!, CLASSES.length);
      const sklearn = JSON.parse(
        execFileSync(PYTHON, [path.join(__dirname, 'task-trainers-reference.py')], {
          input: JSON.stringify({ task: 'multiclass', l2, classes: CLASSES.length, cardinalities, train: asJson(train, train.classIndex!), holdout: asJson(holdout, holdout.classIndex!) }),
          encoding: 'utf8',
        }),
      ) as { logLoss: number; accuracy: number };
      // The same objective; Adam stops near lbfgs's optimum.
      expect(Math.abs(ours.logLoss - sklearn.logLoss) / sklearn.logLoss).toBeLessThan(0.01);
      expect(Math.abs(ours.accuracy - sklearn.accuracy)).toBeLessThanOrEqual(0.015);
      expect(ours.accuracy).toBeGreaterThan(0.6);
    } finally {
      await session.release();
    }
  });

  it('refuses a class index outside the classes', () => {
    const bad = { rows: 1, numeric: [Float32Array.of(0)], categorical: [], cardinalities: [], label: Int32Array.of(3), classes: 3 };
    expect(() => fitSoftmaxRegression(bad, { epochs: 1, learningRate: 0.1, l2: 0, batchSize: 1, seed: 1 })).toThrow(/row 0 has class index 3, outside \[0, 3\)/);
  });
});

describe('ridge regression (temp_max from temp_min, precipitation, wind, month and weather)', () => {
  const features: FeatureSpec = { numeric: ['precipitation', 'temp_min', 'wind'], categorical: ['month', 'weather'], label: 'temp_max' };
  const alpha = 1;

  it('solves exactly the problem scikit-learn Ridge solves, and its ONNX model predicts what the TypeScript model does', async () => {
    const { train, holdout, cardinalities } = await load(features, { task: 'regression' });
    const { model } = fitRidgeRegression({ ...train, cardinalities, target: train.target! }, { alpha });

    const sklearn = JSON.parse(
      execFileSync(PYTHON, [path.join(__dirname, 'task-trainers-reference.py')], {
        input: JSON.stringify({ task: 'regression', alpha, cardinalities, train: asJson(train, train.target!), holdout: asJson(holdout, holdout.target!) }),
        encoding: 'utf8',
      }),
    ) as { intercept: number; coef: number[]; rmse: number };
    const ours = [...model.numeric, ...model.categorical.flat()];
    expect(model.bias).toBeCloseTo(sklearn.intercept, 6);
    ours.forEach((w, i) => expect(w).toBeCloseTo(sklearn.coef[i], 6));

    const session = await ort.InferenceSession.create(exportRidgeOnnx({ features, encoding: train.encoding, model }));
    try {
      expect(session.outputNames).toEqual(['value']);
      const out = await session.run(await rawFeeds(features));
      expect(out.value.dims).toEqual([holdout.rows, 1]);
      const values = out.value.data as Float32Array;
      for (let i = 0; i < holdout.rows; i++) expect(Math.abs(values[i] - predictRidgeRow(model, holdout, i))).toBeLessThan(1e-4);
      const metrics = computeRegressionMetrics(values, holdout.target!);
      expect(Math.abs(metrics.rmse - sklearn.rmse) / sklearn.rmse).toBeLessThan(1e-5);
      expect(metrics.r2).toBeGreaterThan(0.8);
    } finally {
      await session.release();
    }
  });

  it('names a null target instead of fitting on it', async () => {
    const file = path.join(dir, 'null-target.parquet');
    await writeParquet(file, `SELECT i::DOUBLE AS x, CASE WHEN i = 3 THEN NULL ELSE i * 2.0 END AS y FROM range(10) t(i)`);
    await expect(loadEncodedData(file, { numeric: ['x'], categorical: [], label: 'y' }, { target: { task: 'regression' } })).rejects.toThrow(
      /regression target "y" in .* is NaN at row 3; every target must be a finite number/,
    );
  });
});
