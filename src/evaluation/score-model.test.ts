import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors';
import type { FeatureSpec } from '../training/feature-spec';
import { loadEncodedData } from '../training/load-training-data';
import { fitLogisticRegression } from '../training/logistic-regression';
import { exportLogisticRegressionOnnx } from '../training/onnx-export';
import { writeParquet } from '../data/flights-window';
import { scoreModel, scoreRows } from './score-model';

const features: FeatureSpec = { numeric: ['x'], categorical: ['city'], label: 'label' };

let dir: string;
let modelPath: string;
let dataPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-score-'));
  dataPath = join(dir, 'data.parquet');
  // Columns the model does not use (extra, event_time) must simply be ignored.
  await writeParquet(
    dataPath,
    `SELECT CASE WHEN i % 9 = 4 THEN NULL ELSE (i % 7)::DOUBLE END AS x,
            CASE WHEN i % 11 = 0 THEN NULL ELSE ['a', 'b', 'c'][1 + i % 3] END AS city,
            'ignored' AS extra, (i % 7 > 3)::INTEGER AS label, TIMESTAMP '2001-01-01' + INTERVAL (i) MINUTE AS event_time
     FROM range(1000) r(i)`,
  );
  const data = await loadEncodedData(dataPath, features);
  const { model } = fitLogisticRegression(
    { ...data, cardinalities: [data.encoding.vocab.city.length + 1] },
    { epochs: 5, learningRate: 0.05, l2: 1e-4, batchSize: 50, seed: 1 },
  );
  modelPath = join(dir, 'model.onnx');
  await writeFile(modelPath, exportLogisticRegressionOnnx({ features, encoding: data.encoding, model }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('scoreModel', () => {
  it('reads exactly the model inputs and scores every row in file order', async () => {
    const result = await scoreModel(modelPath, dataPath, { label: 'label' });
    expect(result.inputNames).toEqual(['x', 'city']);
    expect(result.rows).toBe(1000);
    expect(Array.from(result.labels.subarray(0, 8))).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
    expect(result.msPerRow).toBeGreaterThan(0);
    expect(result.singleRowMs).toBeGreaterThan(0);

    const session = await ort.InferenceSession.create(modelPath);
    const expected = await scoreRows(session, [
      { x: 0, city: '' }, // row 0: city null
      { x: 1, city: 'b' },
      { x: null, city: 'b' }, // row 4: x null
    ]);
    await session.release();
    expect(result.scores[0]).toBe(expected[0]);
    expect(result.scores[1]).toBe(expected[1]);
    expect(result.scores[4]).toBe(expected[2]);
  });

  it('gives the same scores whatever the batch size', async () => {
    const whole = await scoreModel(modelPath, dataPath, { label: 'label' });
    const batched = await scoreModel(modelPath, dataPath, { label: 'label', batchSize: 7 });
    expect(batched.scores).toEqual(whole.scores);
    expect(batched.labels).toEqual(whole.labels);
  });

  it('names an input column the data lacks', async () => {
    const other = join(dir, 'no-city.parquet');
    await writeParquet(other, `SELECT 1.0 AS x, 0 AS label`);
    const err = await scoreModel(modelPath, other, { label: 'label' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect((err as Error).message).toContain('"city"');
  });

  it('refuses a file that is not an ONNX model', async () => {
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'not a model');
    await expect(scoreModel(junk, dataPath, { label: 'label' })).rejects.toBeInstanceOf(EvaluationError);
  });
});
