/**
 * The recent-traffic gate for multiclass and regression models, on real parts below the workflow:
 * a real inference logger writes predictions of Seattle weather rows and their labels (a class
 * name, a number) as Parquet windows in a real artifact store, and the evaluate activity's recent
 * half reads them back and scores real ONNX models. Each model's figure on the served rows must
 * equal its figure on the same rows written straight to Parquet, so the rows and labels came
 * back whole and in line.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeRecent } from '../../src/activities/evaluate-recent';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { sqlString } from '../../src/data/duckdb';
import { writeParquet } from '../../src/data/flights-window';
import { evaluateTaskModel } from '../../src/evaluation/evaluate-task-model';
import { createLogger } from '../../src/logger';
import { evaluateParamsSchema, recentComparisonSchema } from '../../src/pipeline/step-params';
import type { ArtifactRef } from '../../src/pipeline/types';
import { InferenceLogger } from '../../src/serving/inference-log/inference-logger';
import type { LoadTarget } from '../../src/training/load-training-data';
import { trainTaskModels, WEATHER_CLASSES, type TaskModels, type WeatherRow } from '../serving/task-models';

let dir: string;
let store: LocalArtifactStore;
let models: TaskModels;
const refs: Record<string, ArtifactRef> = {};
const log = createLogger('error');

/** One prediction per 2015 row, logged with its features (all but the label) and then its label. */
async function logRows(logger: InferenceLogger, model: string, label: keyof WeatherRow, now: number): Promise<void> {
  const served = models.holdout.map((row, i) => {
    const { [label]: _y, ...features } = row;
    return { requestId: `${model}-${i}`, row: 0, servedAt: now - 60_000 + i, model, version: 1, protocol: 'v1', source: 'server', features, prediction: 0 };
  });
  await logger.append(served);
  await logger.append(models.holdout.map((row, i) => ({ requestId: `${model}-${i}`, row: 0, servedAt: now - 60_000 + i, model, version: 1, protocol: 'feedback', source: 'server', label: row[label] })));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-recent-tasks-'));
  store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  models = await trainTaskModels();
  for (const name of ['multiclass', 'multiclassOther', 'regression', 'regressionOther'] as const) {
    refs[name] = await store.putBytes(models[name], { name: 'model', mediaType: 'application/onnx' });
  }
  const logger = new InferenceLogger({ dir: path.join(dir, 'log'), store, rates: { defaultRate: 1, perModel: new Map() } });
  await logger.start();
  const now = Date.now();
  await logRows(logger, 'weather-kind', 'weather', now);
  await logRows(logger, 'temperature', 'temp_max', now);
  // Closing seals the open segments into Parquet windows.
  await logger.close();
  // The same rows written straight to Parquet: what the served rows must reproduce.
  await writeFile(path.join(dir, 'rows.json'), JSON.stringify(models.holdout));
  await writeParquet(path.join(dir, 'rows.parquet'), `SELECT * FROM read_json(${sqlString(path.join(dir, 'rows.json'))}, columns = {precipitation: 'DOUBLE', temp_max: 'DOUBLE', temp_min: 'DOUBLE', wind: 'DOUBLE', month: 'VARCHAR', weather: 'VARCHAR'})`);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const direct = (ref: ArtifactRef, label: string, target: LoadTarget) => store.localPath(ref).then((p) => evaluateTaskModel(p, path.join(dir, 'rows.parquet'), { label, target, slices: [], modelBytes: ref.bytes }));

describe('the recent-traffic gate for multiclass and regression models', () => {
  it.each([
    ['multiclass', 'weather-kind', 'weather', { task: 'multiclass', classes: WEATHER_CLASSES } as LoadTarget, 'multiclass', 'multiclassOther', 'logLoss', 'logLoss'],
    ['regression', 'temperature', 'temp_max', { task: 'regression' } as LoadTarget, 'regression', 'regressionOther', 'mse', 'rmse'],
  ] as const)('%s: scores both models on the labelled served rows with the per-row paired test, the same figures as on those rows directly', async (_task, model, label, target, candidate, champion, metric, headline) => {
    const params = evaluateParamsSchema.parse({ comparison: { test: 'non-inferiority', margin: 0.5 } });
    const recent = recentComparisonSchema.parse({ served: { window: '1 hour' } });
    const out = await judgeRecent({ store, inferenceLogDir: path.join(dir, 'log') }, params, recent, { model, candidate: refs[candidate], champion: refs[champion], label, target, threshold: 0.5 }, log);
    expect(out).toMatchObject({ outcome: 'compared', labelled: models.holdout.length, served: { model, window: '1 hour' } });
    const c = out.comparison!;
    expect(c).toMatchObject({ metric, test: 'non-inferiority', margin: 0.5, method: 'paired z-test on per-row values', rows: models.holdout.length });
    const [a, b] = [await direct(refs[candidate], label, target), await direct(refs[champion], label, target)];
    // Mean per-row loss: log loss for multiclass, squared error (RMSE squared) for regression.
    const figure = (m: Record<string, number>) => (headline === 'rmse' ? m.rmse ** 2 : m[headline]);
    expect(c.candidate).toBeCloseTo(figure(a.metrics), 9);
    expect(c.champion).toBeCloseTo(figure(b.metrics), 9);
    expect(c.improvement).toBeCloseTo(figure(b.metrics) - figure(a.metrics), 9);
    expect(out.passed).toBe(c.passed);
  }, 120_000);

  it('fails naming the field when the served labels are not the task\'s, or the served rows lack what the models read', async () => {
    const params = evaluateParamsSchema.parse({});
    const recent = recentComparisonSchema.parse({ served: { window: '1 hour' } });
    const deps = { store, inferenceLogDir: path.join(dir, 'log') };
    // Class names are no regression targets: not one labelled row reads as a number.
    await expect(judgeRecent(deps, params, recent, { model: 'weather-kind', candidate: refs.regression, champion: refs.regressionOther, label: 'temp_max', target: { task: 'regression' }, threshold: 0.5 }, log)).rejects.toThrow(
      'recent.served (model "weather-kind", window 1 hour): no labelled row of a logged prediction in the window; post feedback labels (POST /v1/models/weather-kind/feedback) or widen the window',
    );
    // The temperature traffic logged no temp_max, which the weather classifier reads.
    await expect(judgeRecent(deps, params, recent, { model: 'temperature', candidate: refs.multiclass, champion: refs.multiclassOther, label: 'weather', target: { task: 'multiclass', classes: WEATHER_CLASSES }, threshold: 0.5 }, log)).rejects.toThrow(
      /^recent\.served \(model "temperature", window 1 hour\): the candidate and the champion could not be compared on the served rows: .*temp_max/,
    );
  });

  it('lets a store that cannot hand over a model for a while fail the attempt as it is, to be retried', async () => {
    const params = evaluateParamsSchema.parse({});
    const recent = recentComparisonSchema.parse({ served: { window: '1 hour', model: 'temperature' }, minLabels: 2 });
    const outage = new Error('503 Slow Down');
    const flaky = Object.assign(Object.create(store) as LocalArtifactStore, { localPath: () => Promise.reject(outage) });
    const attempt = judgeRecent({ store: flaky, inferenceLogDir: path.join(dir, 'log') }, params, recent, { model: 'temperature', candidate: refs.regression, champion: refs.regressionOther, label: 'temp_max', target: { task: 'regression' }, threshold: 0.5 }, log);
    await expect(attempt).rejects.toBe(outage);
  });
});
