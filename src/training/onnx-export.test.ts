import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingError } from '../errors';
import type { FeatureSpec } from './feature-spec';
import { loadEncodedData, type FeatureEncoding } from './load-training-data';
import { fitLogisticRegression, sigmoid, type LogisticModel } from './logistic-regression';
import { exportLogisticRegressionOnnx } from './onnx-export';
import { writeParquet } from '../data/flights-window';

const features: FeatureSpec = { numeric: ['x', 'y'], categorical: ['city', 'stop'], label: 'label' };

let dir: string;
let model: LogisticModel;
let encoding: FeatureEncoding;
let session: ort.InferenceSession;

type RawRow = { x: number; y: number; city: string; stop: string };

/** The model's probability computed in JavaScript straight from the fitted weights. */
function reference(row: RawRow): number {
  let z = model.bias;
  features.numeric.forEach((column, j) => {
    const value = row[column as 'x' | 'y'];
    const { mean, std } = encoding.numeric[column];
    z += model.numeric[j] * (Number.isNaN(value) ? 0 : (value - mean) / std);
  });
  features.categorical.forEach((column, c) => {
    const vocab = encoding.vocab[column];
    const code = vocab.indexOf(row[column as 'city' | 'stop']);
    z += model.categorical[c][code < 0 ? vocab.length : code];
  });
  return sigmoid(z);
}

function feeds(rows: RawRow[]): Record<string, ort.Tensor> {
  const n = rows.length;
  return {
    x: new ort.Tensor('float32', Float32Array.from(rows, (r) => r.x), [n, 1]),
    y: new ort.Tensor('float32', Float32Array.from(rows, (r) => r.y), [n, 1]),
    city: new ort.Tensor('string', rows.map((r) => r.city), [n, 1]),
    stop: new ort.Tensor('string', rows.map((r) => r.stop), [n, 1]),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-onnx-'));
  const path = join(dir, 'train.parquet');
  await writeParquet(
    path,
    `SELECT (i % 10)::DOUBLE AS x, (i * 37 % 101)::DOUBLE / 10 AS y,
            ['paris', 'oslo', 'rome'][1 + i % 3] AS city, (i % 4)::INTEGER AS stop,
            ((i % 10) + (i % 3) * 3 + (i * 37 % 101) / 20 > 9)::INTEGER AS label
     FROM range(3000) r(i)`,
  );
  const data = await loadEncodedData(path, features);
  encoding = data.encoding;
  model = fitLogisticRegression(
    { ...data, cardinalities: features.categorical.map((c) => encoding.vocab[c].length + 1) },
    { epochs: 20, learningRate: 0.05, l2: 1e-4, batchSize: 64, seed: 3 },
  ).model;
  session = await ort.InferenceSession.create(exportLogisticRegressionOnnx({ features, encoding, model }));
});

afterAll(async () => {
  await session?.release();
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('exportLogisticRegressionOnnx', () => {
  it('follows the model contract: one input per column, label [N] and probabilities [N,2]', () => {
    expect(session.inputNames).toEqual(['x', 'y', 'city', 'stop']);
    expect(session.inputMetadata.map((m) => (m.isTensor ? [m.type, m.shape] : null))).toEqual([
      ['float32', ['N', 1]],
      ['float32', ['N', 1]],
      ['string', ['N', 1]],
      ['string', ['N', 1]],
    ]);
    expect(session.outputNames).toEqual(['label', 'probabilities']);
    expect(session.outputMetadata.map((m) => (m.isTensor ? [m.type, m.shape] : null))).toEqual([
      ['int64', ['N']],
      ['float32', ['N', 2]],
    ]);
  });

  it('scores like the JavaScript model, including unseen categories and missing numbers', async () => {
    const rows: RawRow[] = [
      { x: 1, y: 2.5, city: 'paris', stop: '0' },
      { x: 9, y: 0.1, city: 'oslo', stop: '3' },
      { x: 4, y: 7, city: 'tokyo', stop: '1' }, // city never seen in training
      { x: Number.NaN, y: 3, city: 'rome', stop: '42' }, // null x, unseen stop
      { x: -50, y: 99, city: '', stop: '' },
    ];
    const out = await session.run(feeds(rows));
    const probabilities = out.probabilities.data as Float32Array;
    const labels = out.label.data as BigInt64Array;
    rows.forEach((row, i) => {
      const p = reference(row);
      expect(probabilities[i * 2 + 1]).toBeCloseTo(p, 5);
      expect(probabilities[i * 2]).toBeCloseTo(1 - p, 5);
      expect(labels[i]).toBe(p > 0.5 ? 1n : 0n);
    });
  });

  it('gives the out-of-vocabulary slot to every unseen value alike', async () => {
    const out = await session.run(
      feeds([
        { x: 1, y: 1, city: 'tokyo', stop: '0' },
        { x: 1, y: 1, city: 'lima', stop: '0' },
      ]),
    );
    const p = out.probabilities.data as Float32Array;
    expect(p[1]).toBe(p[3]);
  });

  it('produces identical bytes for identical inputs', () => {
    const metadata = { 'slipway.trainer': 'test', 'a.first': 'x' };
    const a = exportLogisticRegressionOnnx({ features, encoding, model, metadata });
    const b = exportLogisticRegressionOnnx({ features, encoding, model, metadata: { 'a.first': 'x', 'slipway.trainer': 'test' } });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it.each(['probabilities', 'label', 'model/bias'])('refuses a feature column named %s', (name) => {
    const clashing = { ...features, numeric: [name, 'y'] };
    const renamed = { ...encoding, numeric: { ...encoding.numeric, [name]: encoding.numeric.x } };
    expect(() => exportLogisticRegressionOnnx({ features: clashing, encoding: renamed, model })).toThrow(TrainingError);
  });
});
