/**
 * tritonclient[http] and tritonclient[grpc] (PyPI, installed by scripts/oip-client.sh) call a
 * multiclass model and a regression model, each during a canary split, on the real model server: the
 * metadata lists each task's outputs, and what the client decodes (class names from BYTES, the
 * [n, K] probabilities, the values) is what onnxruntime computes for the version that answered.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOipGrpcServer, type OipGrpcServer } from '../../src/serving/grpc/oip-grpc';
import type { ModelServer } from '../../src/serving/model-server';
import { call, createServingWorld, startServer, type ServingWorld } from './serving-fixtures';
import { MULTICLASS_FEATURES, REGRESSION_FEATURES, trainTaskModels, WEATHER_CLASSES, type TaskModels, type WeatherRow } from './task-models';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'oip-client.sh');
const CHECK = join(__dirname, 'tritonclient_task_check.py');

let python: string;
let world: ServingWorld;
let server: ModelServer;
let base: string;
let grpc: OipGrpcServer;
let models: TaskModels;
const v = { champion: 0, canary: 0, regression: 0, regressionCanary: 0 };

beforeAll(async () => {
  python = execFileSync('bash', [SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 280_000 }).toString().trim();
  models = await trainTaskModels();
  world = await createServingWorld();
  v.champion = (await world.register('weather', models.multiclass)).version;
  v.canary = (await world.register('weather', models.multiclassOther)).version;
  v.regression = (await world.register('temp-max', models.regression)).version;
  v.regressionCanary = (await world.register('temp-max', models.regressionOther)).version;
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0 }));
  expect((await call(base, 'PUT', '/admin/v1/models/weather/deployment', { versions: [{ version: v.champion, weight: 60 }, { version: v.canary, weight: 40 }] })).status).toBe(200);
  expect((await call(base, 'PUT', '/admin/v1/models/temp-max/deployment', { versions: [{ version: v.regression, weight: 60 }, { version: v.regressionCanary, weight: 40 }] })).status).toBe(200);
  grpc = await startOipGrpcServer(server.protocol, { host: '127.0.0.1', port: 0, rateLimitPerSecond: 0 });
}, 300_000);

afterAll(async () => {
  await grpc?.close();
  await server?.app.close();
  await world?.close();
});

/** onnxruntime's own answer for `rows`, row-major. */
async function direct(bytes: Uint8Array, rows: Record<string, unknown>[], features: typeof MULTICLASS_FEATURES, output: string): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const c of features.numeric) feeds[c] = new ort.Tensor('float32', Float32Array.from(rows, (r) => Number(r[c])), [rows.length, 1]);
    for (const c of features.categorical) feeds[c] = new ort.Tensor('string', rows.map((r) => String(r[c])), [rows.length, 1]);
    return Array.from((await session.run(feeds))[output].data as Float32Array);
  } finally {
    await session.release();
  }
}

const cases = (from: number, n: number, features: typeof MULTICLASS_FEATURES) =>
  (): Record<string, unknown>[] => models.holdout.slice(from, from + n).map((r) => Object.fromEntries([...features.numeric, ...features.categorical].map((c) => [c, r[c as keyof WeatherRow]])));

const run = async (protocol: 'http' | 'grpc', model: string, rows: Record<string, unknown>[]) => {
  const url = protocol === 'http' ? new URL(base).host : `127.0.0.1:${grpc.port}`;
  const { stdout } = await promisify(execFile)(python, [CHECK, protocol, url, model, JSON.stringify(rows)], { timeout: 120_000 });
  return JSON.parse(stdout);
};

describe.each(['http', 'grpc'] as const)('tritonclient.%s per task', (protocol) => {
  it('reads a multiclass model’s class names and class probabilities from whichever version the split chose', async () => {
    const rows = cases(0, 40, MULTICLASS_FEATURES)();
    const seen = await run(protocol, 'weather', rows);
    expect(seen.metadata.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, WEATHER_CLASSES.length] },
    ]);
    const K = WEATHER_CLASSES.length;
    const want = { [v.champion]: await direct(models.multiclass, rows, MULTICLASS_FEATURES, 'probabilities'), [v.canary]: await direct(models.multiclassOther, rows, MULTICLASS_FEATURES, 'probabilities') };
    const seenVersions = new Set<string>();
    seen.answers.forEach((a: { version: string; label: string[]; probabilities: number[][] }, i: number) => {
      seenVersions.add(a.version);
      const expected = want[Number(a.version)].slice(i * K, (i + 1) * K);
      a.probabilities[0].forEach((p, k) => expect(p).toBeCloseTo(expected[k], 6));
      expect(a.label).toEqual([WEATHER_CLASSES[expected.indexOf(Math.max(...expected))]]);
    });
    // 40 sticky callers at 60/40: both versions answered (P(one side gets all) < 1e-8).
    expect(seenVersions).toEqual(new Set([String(v.champion), String(v.canary)]));
    expect(seen.shapes).toEqual({ label: [40], probabilities: [40, K] });
    expect(seen.batch.label).toHaveLength(40);
  });

  it('reads a regression model’s values from whichever version the split chose', async () => {
    const rows = cases(100, 40, REGRESSION_FEATURES)();
    const seen = await run(protocol, 'temp-max', rows);
    expect(seen.metadata.outputs).toEqual([{ name: 'value', datatype: 'FP32', shape: [-1] }]);
    const want = { [v.regression]: await direct(models.regression, rows, REGRESSION_FEATURES, 'value'), [v.regressionCanary]: await direct(models.regressionOther, rows, REGRESSION_FEATURES, 'value') };
    // The two fits must disagree for the answers to show which version spoke.
    expect(Math.max(...want[v.regression].map((x, i) => Math.abs(x - want[v.regressionCanary][i])))).toBeGreaterThan(0.1);
    const seenVersions = new Set<string>();
    seen.answers.forEach((a: { version: string; value: number[] }, i: number) => {
      seenVersions.add(a.version);
      expect(a.value[0]).toBeCloseTo(want[Number(a.version)][i], 4);
    });
    // 40 sticky callers at 60/40: both versions answered (P(one side gets all) < 1e-8).
    expect(seenVersions).toEqual(new Set([String(v.regression), String(v.regressionCanary)]));
    // The batch is one request: one version answers all of it.
    const batchVersion = [v.regression, v.regressionCanary].find((ver) => seen.batch.value.every((x: number, i: number) => Math.abs(x - want[ver][i]) < 1e-3));
    expect(batchVersion).toBeDefined();
  });
});
