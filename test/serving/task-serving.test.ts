/**
 * The model server per task, against the real thing: multiclass (softmax) and regression (ridge)
 * models trained by the built-in trainers on the Seattle weather data, served by onnxruntime-node
 * behind real HTTP. Each protocol answers per task with what onnxruntime computes; feedback takes
 * the task's label type and refuses any other with the field named and nothing recorded; live
 * quality is accuracy/log loss or RMSE/MAE; a model whose outputs do not fit its task is refused
 * on load with the mismatch named and the running deployment untouched.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseStep } from '../../src/canary/analysis';
import { canaryAnalysisSchema } from '../../src/pipeline/step-params';
import { HttpServingAdmin } from '../../src/serving/http-serving-admin';
import type { ModelServer } from '../../src/serving/model-server';
import { ADMIN_TOKEN, call, createServingWorld, LABELER_TOKEN, startServer, tinyFlightsModel, type ServingWorld } from './serving-fixtures';
import { MULTICLASS_FEATURES, REGRESSION_FEATURES, trainTaskModels, WEATHER_CLASSES, type TaskModels, type WeatherRow } from './task-models';

let world: ServingWorld;
let server: ModelServer;
let base: string;
let models: TaskModels;
const versions = { weather: 0, weatherOther: 0, tempMax: 0, binary: 0 };
const anon = { token: null } as const;
const labeler = { token: LABELER_TOKEN } as const;

beforeAll(async () => {
  models = await trainTaskModels();
  world = await createServingWorld();
  versions.weather = (await world.register('weather', models.multiclass)).version;
  // Declared by the registry (as the register step records it), not by the file: the same model either way.
  versions.weatherOther = (await world.register('weather', models.multiclassOther, { params: { task: 'multiclass', classes: WEATHER_CLASSES } })).version;
  versions.tempMax = (await world.register('temp-max', models.regression)).version;
  versions.binary = (await world.register('temp-max', tinyFlightsModel({ bias: 1 }))).version;
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0, maxBatch: 400 }));
  expect((await call(base, 'PUT', '/admin/v1/models/weather/deployment', { versions: [{ version: versions.weather, weight: 100 }] })).status).toBe(200);
  expect((await call(base, 'PUT', '/admin/v1/models/temp-max/deployment', { versions: [{ version: versions.tempMax, weight: 100 }] })).status).toBe(200);
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

const pick = (row: WeatherRow, names: string[]) => Object.fromEntries(names.map((n) => [n, row[n as keyof WeatherRow]]));
const inputsOf = (f: typeof MULTICLASS_FEATURES) => [...f.numeric, ...f.categorical];

/** What onnxruntime answers for these rows, run directly (no server). */
async function direct(bytes: Uint8Array, rows: WeatherRow[], features: typeof MULTICLASS_FEATURES, output: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const c of features.numeric) feeds[c] = new ort.Tensor('float32', Float32Array.from(rows, (r) => Number(r[c as keyof WeatherRow])), [rows.length, 1]);
    for (const c of features.categorical) feeds[c] = new ort.Tensor('string', rows.map((r) => String(r[c as keyof WeatherRow])), [rows.length, 1]);
    return (await session.run(feeds))[output].data as Float32Array;
  } finally {
    await session.release();
  }
}

const statsOf = async (model: string, version: number) =>
  ((await call(base, 'GET', `/admin/v1/models/${model}/stats`)).body.versions as any[]).find((v) => v.version === version);

describe('multiclass model', () => {
  it('answers /v1 predict with the class and every class probability, as onnxruntime computes them', async () => {
    const rows = models.holdout.slice(0, 40);
    const res = await call(base, 'POST', '/v1/models/weather/predict', { rows: rows.map((r) => pick(r, inputsOf(MULTICLASS_FEATURES))) }, anon);
    expect(res.status).toBe(200);
    const want = await direct(models.multiclass, rows, MULTICLASS_FEATURES, 'probabilities');
    const K = WEATHER_CLASSES.length;
    res.body.predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
      expect(Object.keys(p.probabilities)).toEqual(WEATHER_CLASSES);
      WEATHER_CLASSES.forEach((c, k) => expect(p.probabilities[c]).toBe(want[i * K + k]));
      const top = WEATHER_CLASSES.reduce((a, c) => (p.probabilities[c] > p.probabilities[a] ? c : a));
      expect(p.label).toBe(top);
    });
  });

  it('describes its outputs per task in OIP metadata and answers OIP and KServe V1 inference per task', async () => {
    const meta = await call(base, 'GET', '/v2/models/weather', undefined, anon);
    expect(meta.body.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 5] },
    ]);
    expect(meta.body.parameters).toEqual({ task: 'multiclass', classes: JSON.stringify(WEATHER_CLASSES) });
    const rows = models.holdout.slice(40, 43);
    const inputs = inputsOf(MULTICLASS_FEATURES).map((name) => {
      const text = name === 'month';
      return { name, datatype: text ? 'BYTES' : 'FP32', shape: [rows.length, 1], data: rows.map((r) => r[name as keyof WeatherRow]) };
    });
    const res = await call(base, 'POST', '/v2/models/weather/infer', { inputs }, anon);
    expect(res.status).toBe(200);
    const want = await direct(models.multiclass, rows, MULTICLASS_FEATURES, 'probabilities');
    const [label, probabilities] = res.body.outputs;
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [3, 5] });
    expect(probabilities.data).toEqual(Array.from(want));
    expect(label).toMatchObject({ name: 'label', datatype: 'BYTES', shape: [3] });
    expect(label.data).toEqual(rows.map((_, i) => WEATHER_CLASSES[[...want.subarray(i * 5, i * 5 + 5)].indexOf(Math.max(...want.subarray(i * 5, i * 5 + 5)))]));
    const unknown = await call(base, 'POST', '/v2/models/weather/infer', { inputs, outputs: [{ name: 'probability' }] }, anon);
    expect(unknown).toMatchObject({ status: 400, body: { error: 'output "probability" does not exist; the outputs are label, probabilities' } });

    const v1 = await call(base, 'POST', '/v1/models/weather:predict', { instances: rows.map((r) => pick(r, inputsOf(MULTICLASS_FEATURES))) }, anon);
    expect(v1.status).toBe(200);
    expect(v1.body.predictions.map((p: { label: string }) => p.label)).toEqual(label.data);
  });

  it('takes class names as feedback, refuses other label types with the field named and nothing recorded, and reports live accuracy and log loss', async () => {
    const rows = models.holdout.slice(100, 300);
    const res = await call(base, 'POST', '/v1/models/weather/predict', { rows: rows.map((r) => pick(r, inputsOf(MULTICLASS_FEATURES))) }, anon);
    const { requestId, predictions } = res.body as { requestId: string; predictions: { label: string; probabilities: Record<string, number> }[] };
    const before = await statsOf('weather', versions.weather);

    const wrongType = await call(base, 'POST', '/v1/models/weather/feedback', { requestId, labels: rows.map((_, i) => (i === 7 ? 1 : rows[i].weather)) }, labeler);
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(wrongType.body)).toContain('labels[7]: 1 is not a label of this multiclass model; send a class name (\\"drizzle\\"');
    const unknownClass = await call(base, 'POST', '/v1/models/weather/feedback', { requestId, labels: rows.map((_, i) => (i === 3 ? 'hail' : rows[i].weather)) }, labeler);
    expect(unknownClass.status).toBe(400);
    expect(JSON.stringify(unknownClass.body)).toContain('labels[3]: \\"hail\\" is not a label');
    expect((await statsOf('weather', versions.weather)).feedback).toEqual(before.feedback);

    const ok = await call(base, 'POST', '/v1/models/weather/feedback', { requestId, labels: rows.map((r) => r.weather) }, labeler);
    expect(ok).toMatchObject({ status: 200, body: { labels: rows.length } });
    const accuracy = rows.filter((r, i) => predictions[i].label === r.weather).length / rows.length;
    const logLoss = rows.reduce((s, r, i) => s - Math.log(Math.max(predictions[i].probabilities[r.weather], 1e-15)), 0) / rows.length;
    const after = (await statsOf('weather', versions.weather)).feedback;
    expect(after.labels).toBe(before.feedback.labels + rows.length);
    expect(after.labels).toBe(rows.length);
    expect(after.accuracy).toBeCloseTo(accuracy, 10);
    expect(after.logLoss).toBeCloseTo(logLoss, 6);
    expect(after.auc).toBeNull();
    expect(accuracy).toBeGreaterThan(0.5);
  });

  it('keeps a histogram of each class probability and of the predicted class probability', async () => {
    const s = await statsOf('weather', versions.weather);
    expect(s.classScores.classes).toEqual(WEATHER_CLASSES);
    for (const counts of s.classScores.counts) expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(s.rows);
    expect(s.scores.counts.reduce((a: number, b: number) => a + b, 0)).toBe(s.rows);
    expect(s.rows).toBe(40 + 3 + 3 + 200);
  });
});

describe('regression model', () => {
  it('answers /v1 predict, KServe V1 and OIP with the value onnxruntime computes', async () => {
    const rows = models.holdout.slice(0, 20);
    const body = rows.map((r) => pick(r, inputsOf(REGRESSION_FEATURES)));
    const want = Array.from(await direct(models.regression, rows, REGRESSION_FEATURES, 'value'));
    const res = await call(base, 'POST', '/v1/models/temp-max/predict', { rows: body }, anon);
    expect(res.body.predictions).toEqual(want.map((value) => ({ value })));
    const v1 = await call(base, 'POST', '/v1/models/temp-max:predict', { instances: body }, anon);
    expect(v1.body.predictions).toEqual(want.map((value) => ({ value })));
    const meta = await call(base, 'GET', '/v2/models/temp-max', undefined, anon);
    expect(meta.body.outputs).toEqual([{ name: 'value', datatype: 'FP32', shape: [-1] }]);
    const inputs = inputsOf(REGRESSION_FEATURES).map((name) => ({ name, datatype: ['month', 'weather'].includes(name) ? 'BYTES' : 'FP64', shape: [rows.length], data: rows.map((r) => r[name as keyof WeatherRow]) }));
    const v2 = await call(base, 'POST', '/v2/models/temp-max/infer', { inputs }, anon);
    expect(v2.body.outputs).toEqual([{ name: 'value', datatype: 'FP32', shape: [rows.length], data: want }]);
  });

  it('takes numbers as feedback, refuses text with the field named and nothing recorded, and reports live RMSE and MAE', async () => {
    const rows = models.holdout.slice(0, 150);
    const res = await call(base, 'POST', '/v1/models/temp-max/predict', { rows: rows.map((r) => pick(r, inputsOf(REGRESSION_FEATURES))) }, anon);
    const { requestId, predictions } = res.body as { requestId: string; predictions: { value: number }[] };
    const refused = await call(base, 'POST', '/v1/models/temp-max/feedback', { requestId, labels: rows.map((r, i) => (i === 0 ? 'warm' : r.temp_max)) }, labeler);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('labels[0]: \\"warm\\" is not a label of this regression model; send a finite number');
    expect((await statsOf('temp-max', versions.tempMax)).feedback.labels).toBe(0);

    expect((await call(base, 'POST', '/v1/models/temp-max/feedback', { requestId, labels: rows.map((r) => r.temp_max) }, labeler)).status).toBe(200);
    const errors = rows.map((r, i) => Math.fround(predictions[i].value - r.temp_max));
    const rmse = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    const mae = errors.reduce((s, e) => s + Math.abs(e), 0) / errors.length;
    const s = await statsOf('temp-max', versions.tempMax);
    expect(s.feedback).toMatchObject({ labels: rows.length, accuracy: null, auc: null });
    expect(s.feedback.rmse).toBeCloseTo(rmse, 5);
    expect(s.feedback.mae).toBeCloseTo(mae, 5);
    // Ridge on these features explains most of the day's high: a few degrees off.
    expect(s.feedback.rmse).toBeLessThan(4);
    expect(s.values.counts.reduce((a: number, b: number) => a + b, 0)).toBe(s.rows);
  });
});

describe('loading per task', () => {
  it('refuses a model whose outputs do not fit its declared task, naming the mismatch, and leaves the deployment unchanged', async () => {
    const mislabelled = (await world.register('weather', models.multiclass, { params: { task: 'regression' } })).version;
    const put = await call(base, 'PUT', '/admin/v1/models/weather/deployment', { versions: [{ version: versions.weather, weight: 90 }, { version: mislabelled, weight: 10 }] });
    expect(put.status).toBe(422);
    expect(put.body.message).toContain(`model "weather" version ${mislabelled} is declared regression by the registry but its outputs are "label" string [N], "probabilities" float32 [N, 5]; a regression model needs a float "value" output [N, 1]`);
    const wrongClasses = (await world.register('weather', models.multiclass, { tags: { task: 'multiclass', classes: JSON.stringify(['rain', 'sun']) } })).version;
    const put2 = await call(base, 'PUT', '/admin/v1/models/weather/deployment', { versions: [{ version: wrongClasses, weight: 100 }] });
    expect(put2.status).toBe(422);
    expect(put2.body.message).toContain('a multiclass model needs a float "probabilities" output [N, 2], one column per class (rain, sun)');
    const deployment = await call(base, 'GET', '/admin/v1/models/weather/deployment');
    expect(deployment.body.versions.map((v: { version: number; weight: number }) => [v.version, v.weight])).toEqual([[versions.weather, 100]]);
  });

  it('refuses a deployment that mixes tasks, and serves a canary of the same task', async () => {
    const mixed = await call(base, 'PUT', '/admin/v1/models/temp-max/deployment', { versions: [{ version: versions.tempMax, weight: 90 }, { version: versions.binary, weight: 10 }] });
    expect(mixed.status).toBe(422);
    expect(mixed.body.message).toContain(`version ${versions.binary} of "temp-max" is a binary model but version ${versions.tempMax} is regression; one deployment serves one task`);
    const split = await call(base, 'PUT', '/admin/v1/models/weather/deployment', { versions: [{ version: versions.weather, weight: 50 }, { version: versions.weatherOther, weight: 50 }] });
    expect(split.status).toBe(200);
    const res = await call(base, 'POST', '/v1/models/weather/predict', { row: pick(models.holdout[0], inputsOf(MULTICLASS_FEATURES)) }, { ...anon, headers: { 'x-routing-key': 'a' } });
    expect(Object.keys(res.body.predictions[0].probabilities)).toEqual(WEATHER_CLASSES);
  });
});

describe('canary analysis per task over the real server’s stats', () => {
  it('reads a multiclass split’s class-probability histograms and log loss through the admin client and judges them per task', async () => {
    // The 50/50 split of the previous test is in force: champion versions.weather, canary versions.weatherOther.
    const since = Date.now() - 1000;
    const admin = new HttpServingAdmin(base, ADMIN_TOKEN);
    const before = await admin.stats('weather', [versions.weather, versions.weatherOther], since);
    const requests = (w: typeof before) => [...w.versions.values()].reduce((n, v) => n + v.requests, 0);
    const rows = models.holdout.slice(0, 160);
    for (let i = 0; i < rows.length; i += 4) {
      const batch = rows.slice(i, i + 4);
      const res = await call(base, 'POST', '/v1/models/weather/predict', { rows: batch.map((r) => pick(r, inputsOf(MULTICLASS_FEATURES))) }, { ...anon, headers: { 'x-routing-key': `caller-${i}` } });
      expect((await call(base, 'POST', '/v1/models/weather/feedback', { requestId: res.body.requestId, labels: batch.map((r) => r.weather) }, labeler)).status).toBe(200);
    }
    const window = await admin.stats('weather', [versions.weather, versions.weatherOther], since);
    const champion = window.versions.get(versions.weather)!;
    const canary = window.versions.get(versions.weatherOther)!;
    for (const w of [champion, canary]) {
      expect(w.task).toBe('multiclass');
      expect(w.classScoreCounts).toHaveLength(WEATHER_CLASSES.length);
      expect(w.logLoss).toBeGreaterThan(0);
      expect(w.logLossSd).toBeGreaterThan(0);
    }
    expect(requests(window) - requests(before)).toBe(40);
    const thresholds = canaryAnalysisSchema.parse({ minRequests: 5, minLabels: 20 });
    const measurement = { from: window.from, to: window.to, serverStartedAt: window.serverStartedAt, step: { champion, canary }, cumulative: { champion, canary } };
    const analysis = analyseStep({ measurement, thresholds, serverStartedAtStepStart: window.serverStartedAt, weight: 50, lastStep: true, taskChecks: true });
    const byName = Object.fromEntries(analysis.checks.map((c) => [c.name, c]));
    expect(byName.scoreShift.message).toMatch(/class-probability PSI against the champion/);
    expect(byName.liveLogLoss).toMatchObject({ canary: Number(canary.logLoss!.toFixed(4)), baseline: Number(champion.logLoss!.toFixed(4)) });
    expect(['pass', 'fail']).toContain(byName.liveLogLoss.verdict);
    expect(byName.liveAccuracy.canary).toBe(Number(canary.accuracy!.toFixed(4)));
  });
});
