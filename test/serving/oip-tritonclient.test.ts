/**
 * A client no one here wrote: NVIDIA's tritonclient[http] from PyPI (installed in its own venv by
 * scripts/oip-client.sh) calls the real model server during a canary split for health, metadata
 * and inference, with its defaults (binary tensors in and out), JSON tensors, a pinned version
 * and the errors a Triton user meets; the split, the stats and the feedback key are checked on
 * the server's side.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOipGrpcServer, type OipGrpcServer } from '../../src/serving/grpc/oip-grpc';
import type { ModelServer } from '../../src/serving/model-server';
import { call, createServingWorld, flight, LABELER_TOKEN, startServer, tinyFlightsModel, tinyScore, type ServingWorld } from './serving-fixtures';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'oip-client.sh');
const CHECK = join(__dirname, 'tritonclient_check.py');
const GRPC_CHECK = join(__dirname, 'tritonclient_grpc_check.py');
const CHAMPION = { bias: -1, distance: 1 };
const CANARY = { bias: 1, distance: -1, ord: 2 };

let python: string;
let world: ServingWorld;
let server: ModelServer;
let base: string;
let v1: number;
let v2: number;
let grpc: OipGrpcServer;

beforeAll(async () => {
  // Installs tritonclient on a fresh clone (about 80 s here), then reuses the venv.
  python = execFileSync('bash', [SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 280_000 }).toString().trim();
  world = await createServingWorld();
  v1 = (await world.register('delays', tinyFlightsModel(CHAMPION))).version;
  v2 = (await world.register('delays', tinyFlightsModel(CANARY))).version;
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0 }));
  const put = await call(base, 'PUT', '/admin/v1/models/delays/deployment', { versions: [{ version: v1, weight: 70 }, { version: v2, weight: 30 }] });
  expect(put.status).toBe(200);
  grpc = await startOipGrpcServer(server.protocol, { host: '127.0.0.1', port: 0, rateLimitPerSecond: 0 });
}, 300_000);

afterAll(async () => {
  await grpc?.close();
  await server?.app.close();
  await world?.close();
});

describe('tritonclient against the model server during a canary split', () => {
  it('sees health, metadata, split inference, a pinned version and protocol errors as a Triton server’s', async () => {
    const cases = Array.from({ length: 60 }, (_, i) => flight(200 + i * 40, i % 4 === 0 ? 'ORD' : 'ATL'));
    const statsBefore = (await call(base, 'GET', '/admin/v1/models/delays/stats')).body.versions as { version: number; requests: number }[];
    const { stdout } = await promisify(execFile)(python, [CHECK, new URL(base).host, 'delays', String(v2), JSON.stringify(cases)], { timeout: 120_000 });
    const seen = JSON.parse(stdout);

    expect(seen).toMatchObject({ live: true, ready: true, model_ready: true, pinned_ready: true, absent_ready: false });
    expect(seen.server).toMatchObject({ name: 'slipway', extensions: ['binary_tensor_data'] });
    expect(seen.metadata.versions).toEqual([String(v1), String(v2)]);
    expect(seen.metadata.inputs.map((i: { name: string; datatype: string }) => `${i.name}:${i.datatype}`)).toEqual([
      'hour:FP32', 'weekday:FP32', 'month:FP32', 'distance:FP32', 'origin:BYTES', 'destination:BYTES',
    ]);

    // Every answer carries the id the client chose, a server-issued feedback key and the scores of
    // the version the split chose; the canary got a share near its 30% weight.
    const answers = seen.answers as { id: string; version: string; request_id: string; probability: number[]; label: number[] }[];
    answers.forEach((a, i) => {
      expect(a.id).toBe(`triton-${i}`);
      expect(a.request_id).toMatch(/^[0-9a-f-]{36}$/);
      const weights = a.version === String(v1) ? CHAMPION : CANARY;
      expect(a.probability[0]).toBeCloseTo(tinyScore(weights, cases[i]), 5);
      expect(a.label[0]).toBe(a.probability[0] >= 0.5 ? 1 : 0);
    });
    const onCanary = answers.filter((a) => a.version === String(v2)).length;
    expect(onCanary).toBeGreaterThan(5);
    expect(onCanary).toBeLessThan(35);

    // The pinned JSON batch came from the canary, with only the output asked for, and is not in the split's stats.
    expect(seen.pinned_batch.version).toBe(String(v2));
    expect(seen.pinned_batch.label).toBeNull();
    cases.forEach((c, i) => expect(seen.pinned_batch.probability[i]).toBeCloseTo(tinyScore(CANARY, c), 5));
    const stats = (await call(base, 'GET', '/admin/v1/models/delays/stats')).body.versions as { version: number; requests: number }[];
    const delta = (v: number) => stats.find((s) => s.version === v)!.requests - (statsBefore.find((s) => s.version === v)?.requests ?? 0);
    expect(delta(v1) + delta(v2)).toBe(60);
    expect(delta(v2)).toBe(onCanary);

    // The protocol's errors reach the client as InferenceServerException with status and message.
    expect(seen.errors.unknown_model).toEqual({ status: '404', message: 'model "no-such-model" is not deployed on this server' });
    expect(seen.errors.unknown_version).toMatchObject({ status: '404', message: expect.stringMatching(/version 999 of model "delays" is not deployed/) });
    expect(seen.errors.missing_input).toMatchObject({ status: '400', message: expect.stringMatching(/missing input\(s\) "hour"/) });
    expect(seen.errors.wrong_datatype).toMatchObject({ status: '400', message: 'input "hour" is numeric: send FP32, FP64, INT32 or INT64, not BYTES' });

    // The feedback key a Triton caller got labels that prediction, on the version that made it.
    const label = await call(base, 'POST', '/v1/models/delays/feedback', { requestId: answers[3].request_id, label: 1 }, { token: LABELER_TOKEN });
    expect(label).toMatchObject({ status: 200, body: { version: Number(answers[3].version), labels: 1 } });
  });

  it('answers tritonclient.grpc on the published KServe proto with the same split, errors and feedback key', async () => {
    const cases = Array.from({ length: 60 }, (_, i) => flight(300 + i * 35, i % 3 === 0 ? 'ORD' : 'ATL'));
    const before = (await call(base, 'GET', '/admin/v1/models/delays/stats')).body.versions as { version: number; requests: number }[];
    const { stdout } = await promisify(execFile)(python, [GRPC_CHECK, `127.0.0.1:${grpc.port}`, 'delays', String(v2), JSON.stringify(cases)], { timeout: 120_000 });
    const seen = JSON.parse(stdout);

    expect(seen).toMatchObject({ live: true, ready: true, model_ready: true, pinned_ready: true });
    expect(seen.server).toMatchObject({ name: 'slipway' });
    expect(seen.metadata.versions).toEqual([String(v1), String(v2)]);
    expect(seen.metadata.inputs.map((i: { name: string; datatype: string }) => `${i.name}:${i.datatype}`)).toEqual([
      'hour:FP32', 'weekday:FP32', 'month:FP32', 'distance:FP32', 'origin:BYTES', 'destination:BYTES',
    ]);
    const answers = seen.answers as { id: string; version: string; request_id: string; probability: number[]; label: number[] }[];
    answers.forEach((a, i) => {
      expect(a.id).toBe(`grpc-${i}`);
      expect(a.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.probability[0]).toBeCloseTo(tinyScore(a.version === String(v1) ? CHAMPION : CANARY, cases[i]), 5);
      expect(a.label[0]).toBe(a.probability[0] >= 0.5 ? 1 : 0);
    });
    const onCanary = answers.filter((a) => a.version === String(v2)).length;
    expect(onCanary).toBeGreaterThan(5);
    expect(onCanary).toBeLessThan(35);
    expect(seen.pinned_batch).toMatchObject({ version: String(v2), label: false });
    cases.forEach((c, i) => expect(seen.pinned_batch.probability[i]).toBeCloseTo(tinyScore(CANARY, c), 5));
    const after = (await call(base, 'GET', '/admin/v1/models/delays/stats')).body.versions as { version: number; requests: number }[];
    const delta = (v: number) => after.find((s) => s.version === v)!.requests - (before.find((s) => s.version === v)?.requests ?? 0);
    expect(delta(v1) + delta(v2)).toBe(60);
    expect(delta(v2)).toBe(onCanary);

    expect(seen.errors.unknown_model).toMatchObject({ status: 'StatusCode.NOT_FOUND', message: expect.stringMatching(/model "no-such-model" is not deployed/) });
    expect(seen.errors.unknown_version).toMatchObject({ status: 'StatusCode.NOT_FOUND', message: expect.stringMatching(/version 999 of model "delays" is not deployed/) });
    expect(seen.errors.missing_input).toMatchObject({ status: 'StatusCode.INVALID_ARGUMENT', message: expect.stringMatching(/missing input\(s\) "hour"/) });
    expect(seen.errors.load).toMatchObject({ status: 'StatusCode.UNIMPLEMENTED', message: expect.stringMatching(/audited admin API/) });

    const label = await call(base, 'POST', '/v1/models/delays/feedback', { requestId: answers[5].request_id, label: 0 }, { token: LABELER_TOKEN });
    expect(label).toMatchObject({ status: 200, body: { version: Number(answers[5].version), labels: 1 } });
  });
});
