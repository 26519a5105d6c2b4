/**
 * The TypeScript scorer of Slipway's logistic-regression exports against onnxruntime on real
 * data: a model trained by the built-in trainer on a week of real flights, scored on thousands of
 * held-out flights plus rows with missing, unknown and mistyped values. Any other model, and any
 * export that differs in one byte from what the exporter writes, stays on onnxruntime.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../../src/data/flights-window';
import { scoreRows } from '../../src/evaluation/score-model';
import { linearScorer } from '../../src/serving/linear-scorer';
import type { FeatureRow } from '../../src/serving/loaded-model';
import { RegistryModelLoader } from '../../src/serving/model-loader';
import { runBuiltinTrainer } from '../../src/training/builtin-trainer';
import { loadFlightTraffic } from '../../tools/replay-traffic';
import { createServingWorld, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

/** float32 has a 24-bit significand: scores in [0, 1] agree to a few of its ulps (onnxruntime's sigmoid is an approximation). */
const TOLERANCE = 1e-6;

let dir: string;
let bytes: Uint8Array;
let session: ort.InferenceSession;
let rows: FeatureRow[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-linear-'));
  const trainPath = path.join(dir, 'train.parquet');
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-08');
  const { modelPath } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 2, seed: 7 }, outputDir: path.join(dir, 'model') });
  bytes = new Uint8Array(await readFile(modelPath));
  session = await ort.InferenceSession.create(bytes);
  const traffic = await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-15', limit: 5000 });
  // Held-out flights, then what clients also send: missing values, unknown airports, numbers as strings, booleans, junk.
  const edge: FeatureRow[] = [
    { hour: null, weekday: undefined, month: 3, distance: null, origin: null, destination: 'LAX' },
    { hour: 9, weekday: 3, month: 3, distance: 740, origin: 'ZZZ', destination: '' },
    { hour: '9', weekday: '3', month: 'x', distance: '1500.5', origin: 123, destination: true },
    { hour: true, weekday: false, month: 12, distance: 1e30, origin: 'ORD', destination: 'SFO' },
    { hour: -1e9, weekday: 0, month: 0, distance: -0, origin: 'ATL', destination: 'JFK' },
    {},
  ];
  rows = [...(traffic.rows as FeatureRow[]), ...edge];
}, 240_000);

afterAll(async () => {
  await session?.release();
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('linear scorer', () => {
  it('agrees with onnxruntime to float32 tolerance on thousands of real held-out flights and odd rows', async () => {
    const scorer = linearScorer(bytes);
    expect(scorer).toBeDefined();
    expect(rows.length).toBeGreaterThan(4000);
    const expected = await scoreRows(session, rows);
    const actual = scorer!(rows);
    let worst = 0;
    for (let i = 0; i < rows.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    // The scores are not trivially equal: they spread over the range and the labels they imply match.
    expect(new Set(Array.from(expected, (s) => s.toFixed(3))).size).toBeGreaterThan(50);
    for (let i = 0; i < rows.length; i++) expect(actual[i] >= 0.5, `row ${i}`).toBe(expected[i] >= 0.5);
    // One row at a time, as single-row requests score, gives the same numbers.
    expect(Array.from(rows.slice(0, 50), (r) => scorer!([r])[0])).toEqual(Array.from(actual.subarray(0, 50)));
  });

  it('also accepts the hand-set models of the serving tests (the same exporter)', () => {
    expect(linearScorer(tinyFlightsModel({ bias: -1, distance: 1 }))).toBeDefined();
  });

  it('refuses anything that is not byte-for-byte what the exporter writes', () => {
    const model = onnx.ModelProto.decode(bytes);
    const sigmoid = model.graph!.node!.find((n) => n.opType === 'Sigmoid')!;
    sigmoid.opType = 'HardSigmoid';
    expect(linearScorer(onnx.ModelProto.encode(model).finish())).toBeUndefined();

    const renamed = onnx.ModelProto.decode(bytes);
    renamed.graph!.name = 'sklearn_pipeline';
    expect(linearScorer(onnx.ModelProto.encode(renamed).finish())).toBeUndefined();

    const extraNode = onnx.ModelProto.decode(bytes);
    extraNode.graph!.node!.push(onnx.NodeProto.create({ opType: 'Identity', input: ['model/logit'], output: ['extra'] }));
    expect(linearScorer(onnx.ModelProto.encode(extraNode).finish())).toBeUndefined();

    expect(linearScorer(new Uint8Array([1, 2, 3, 4, 5]))).toBeUndefined();
  });
});

describe('model loader', () => {
  let world: ServingWorld;
  beforeAll(async () => {
    world = await createServingWorld();
  });
  afterAll(async () => world?.close());

  it('scores a proven linear model in TypeScript, and every model in onnxruntime when told to', async () => {
    const { version } = await world.register('linear', bytes);
    const fast = await new RegistryModelLoader(world.registry, world.store).load('linear', version);
    const slow = await new RegistryModelLoader(world.registry, world.store, { linearScorer: false }).load('linear', version);
    try {
      expect(fast.scoredBy).toBe('typescript');
      expect(slow.scoredBy).toBe('onnxruntime');
      const sample = rows.slice(0, 300);
      const [a, b] = await Promise.all([fast.predict(sample), slow.predict(sample)]);
      for (let i = 0; i < sample.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      fast.retire();
      slow.retire();
    }
  });
});
