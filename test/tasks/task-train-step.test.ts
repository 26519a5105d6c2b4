/**
 * The real ingest and train activities (built-in trainer, worker thread) with multiclass and
 * regression labels on the Seattle weather data, and the ONNX model each writes run by
 * onnxruntime-node. Validate, evaluate and the scikit-learn trainer per task are in task-steps.test.ts;
 * binary runs are covered, unchanged, by test/training and test/validation.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSnapshot } from '../../src/activities/ingest';
import { trainCandidate } from '../../src/activities/train';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';
import { scoreTaskModel } from '../../src/evaluation/score-task-model';
import { createLogger } from '../../src/logger';
import { ingestParamsSchema, trainParamsSchema } from '../../src/pipeline/step-params';
import type { StepOutput, StepOutputBody, StepRequest } from '../../src/pipeline/types';

const SOURCE = path.join(__dirname, '../../node_modules/vega-datasets/data/seattle-weather.csv');
const log = createLogger('error');

let dir: string;
let file: string;
let store: LocalArtifactStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-task-train-'));
  file = path.join(dir, 'seattle-weather.csv');
  await copyFile(SOURCE, file);
  store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

async function ingest(label: Record<string, unknown>, numeric: string[], categorical: string[]): Promise<StepOutput<'ingest'>> {
  const features = [...numeric.map((c) => ({ name: c, column: c })), ...categorical.map((c) => (c === 'month' ? { name: c, column: 'date', transform: 'month' } : { name: c, column: c }))];
  const out = await ingestSnapshot({ store, duckdbThreads: 1, dataRoots: { roots: [dir], ...SOURCE_LIMIT_DEFAULTS } }, ingestParamsSchema.parse({ source: { path: file }, timeColumn: 'date', features, label }), 'ingest');
  return { ...out, kind: 'ingest' };
}

const request = (stepId: string, inputs: Record<string, StepOutput>): StepRequest => ({
  ctx: { workflowId: 'wf', runId: 'run', stepId, pipeline: 'weather', model: 'weather', specDigest: 'd' },
  params: {},
  inputs,
});

async function train(snapshot: StepOutput, numeric: string[], categorical: string[], params: Record<string, unknown>, trainer = 'builtin'): Promise<StepOutput> {
  const spec = trainer === 'builtin' ? { trainer } : { trainer, command: [process.execPath, '-e', 'process.exit(3)'] };
  const parsed = trainParamsSchema.parse({ ...spec, features: { numeric, categorical }, params });
  const out = await new MockActivityEnvironment().run(trainCandidate, { store, heartbeatEveryMs: 60_000 }, request('train', { ingest: snapshot }), parsed, log);
  return { ...(out as StepOutputBody<'train'>), kind: 'train' };
}

async function run(model: StepOutput, snapshot: StepOutput, numeric: string[], categorical: string[]) {
  const session = await ort.InferenceSession.create(await store.localPath(model.artifacts.model));
  try {
    const { rows } = await (await import('../../src/data/duckdb')).withDuckDb({ threads: 1 }, async (conn) => {
      const { queryRows, sqlString } = await import('../../src/data/duckdb');
      return { rows: await queryRows(conn, `SELECT * FROM read_parquet(${sqlString(await store.localPath(snapshot.artifacts.holdout))})`) };
    });
    const feeds: Record<string, ort.Tensor> = {};
    for (const c of numeric) feeds[c] = new ort.Tensor('float32', Float32Array.from(rows, (r) => Number(r[c])), [rows.length, 1]);
    for (const c of categorical) feeds[c] = new ort.Tensor('string', rows.map((r) => String(r[c])), [rows.length, 1]);
    return { rows, out: await session.run(feeds), metadata: session.outputNames };
  } finally {
    await session.release();
  }
}

describe('train step per task (built-in trainer)', () => {
  it('multiclass weather: a softmax model whose labels are class names and whose probabilities sum to 1', async () => {
    const numeric = ['precipitation', 'temp_max', 'temp_min', 'wind'];
    const snapshot = await ingest({ column: 'weather', task: 'multiclass' }, numeric, ['month']);
    const model = await train(snapshot, numeric, ['month'], { epochs: 200, batchSize: 64, l2: 1e-4, seed: 3 });
    expect(model.artifacts.model.meta).toMatchObject({ task: 'multiclass', classes: ['drizzle', 'fog', 'rain', 'snow', 'sun'], label: 'label' });
    expect(model.summary).toMatchObject({ trainer: 'builtin-softmax-regression', trainRows: expect.any(Number) });
    const { rows, out, metadata } = await run(model, snapshot, numeric, ['month']);
    expect(metadata).toEqual(['label', 'probabilities']);
    const p = out.probabilities.data as Float32Array;
    for (let i = 0; i < rows.length; i++) expect(p[i * 5] + p[i * 5 + 1] + p[i * 5 + 2] + p[i * 5 + 3] + p[i * 5 + 4]).toBeCloseTo(1, 5);
    const labels = out.label.data as string[];
    const accuracy = labels.filter((l, i) => l === rows[i].label).length / rows.length;
    // The majority class ("sun" or "rain") alone scores about 0.45 on the last quarter of the years.
    expect(accuracy).toBeGreaterThan(0.6);

    // The task scorer reads the holdout itself and gets the same answers and the same accuracy.
    const holdoutPath = await store.localPath(snapshot.artifacts.holdout);
    const scored = await scoreTaskModel(await store.localPath(model.artifacts.model), holdoutPath, 'label', { task: 'multiclass', classes: ['drizzle', 'fog', 'rain', 'snow', 'sun'] });
    if (scored.task !== 'multiclass') throw new Error('expected a multiclass score');
    expect(Array.from(scored.probabilities)).toEqual(Array.from(p));
    expect(scored.metrics.accuracy).toBeCloseTo(accuracy, 12);
    expect(scored.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(rows.length);
    await expect(
      scoreTaskModel(await store.localPath(model.artifacts.model), holdoutPath, 'label', { task: 'multiclass', classes: ['drizzle', 'fog', 'rain', 'sun', 'snow'] }),
    ).rejects.toThrow(/was trained on classes \["drizzle","fog","rain","snow","sun"\]; this holdout's are \["drizzle","fog","rain","sun","snow"\]/);
  });

  it('regression temp_max: a ridge model whose value tracks the target', async () => {
    const numeric = ['precipitation', 'temp_min', 'wind'];
    const snapshot = await ingest({ column: 'temp_max', task: 'regression' }, numeric, ['month', 'weather']);
    const model = await train(snapshot, numeric, ['month', 'weather'], { l2: 1e-4 });
    expect(model.artifacts.model.meta).toMatchObject({ task: 'regression', trainer: 'builtin-ridge-regression' });
    const { rows, out, metadata } = await run(model, snapshot, numeric, ['month', 'weather']);
    expect(metadata).toEqual(['value']);
    const v = out.value.data as Float32Array;
    const rmse = Math.sqrt(rows.reduce((s, r, i) => s + (Number(r.label) - v[i]) ** 2, 0) / rows.length);
    expect(rmse).toBeLessThan(3.5);
    const scored = await scoreTaskModel(await store.localPath(model.artifacts.model), await store.localPath(snapshot.artifacts.holdout), 'label', { task: 'regression' });
    expect(scored.task === 'regression' && scored.metrics.rmse).toBeCloseTo(rmse, 9);
    const mape = rows.reduce((sum, r, i) => sum + Math.abs(Number(r.label) - v[i]) / Math.abs(Number(r.label)), 0) / rows.length;
    expect(rows.some((r) => Number(r.label) === 0)).toBe(false);
    expect(scored.task === 'regression' && scored.metrics.mape).toBeCloseTo(mape, 9);
  });
});
