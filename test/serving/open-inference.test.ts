/**
 * The Open Inference Protocol (KServe V2) REST routes and KServe V1 `:predict` against the real
 * model server (real registry, ONNX sessions, HTTP on a port), during a canary split: health,
 * metadata, inference in every tensor form, the split and feedback shared with /v1, version
 * pinning kept out of the split's evidence, and each error in the protocol's `{"error"}` shape
 * with nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelServer } from '../../src/serving/model-server';
import { call, createServingWorld, flight, LABELER_TOKEN, startServer, tinyFlightsModel, tinyScore, type ServingWorld } from './serving-fixtures';

const CHAMPION = { bias: -1, distance: 1 };
const CANARY = { bias: 1, distance: -1, ord: 2 };
const INPUTS = ['hour', 'weekday', 'month', 'distance', 'origin', 'destination'];

let world: ServingWorld;
let server: ModelServer;
let base: string;
let v1: number;
let v2: number;
let spare: number;

beforeAll(async () => {
  world = await createServingWorld();
  v1 = (await world.register('delays', tinyFlightsModel(CHAMPION))).version;
  v2 = (await world.register('delays', tinyFlightsModel(CANARY))).version;
  spare = (await world.register('delays', tinyFlightsModel({ bias: 3 }))).version;
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0, maxBatch: 50 }));
  const put = await call(base, 'PUT', '/admin/v1/models/delays/deployment', { versions: [{ version: v1, weight: 80 }, { version: v2, weight: 20 }] });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

const anon = { token: null } as const;
const stats = async () => (await call(base, 'GET', '/admin/v1/models/delays/stats')).body.versions as { version: number; requests: number; feedback?: number }[];
const requestsOf = (s: { version: number; requests: number }[]) => Object.fromEntries(s.map((v) => [v.version, v.requests]));

/** Per-column tensors for flights, as a Triton client sends them. */
function columns(rows: ReturnType<typeof flight>[], shape: 'flat' | 'column' = 'column') {
  return INPUTS.map((name) => {
    const text = name === 'origin' || name === 'destination';
    return { name, datatype: text ? 'BYTES' : name === 'distance' ? 'FP64' : 'INT64', shape: shape === 'flat' ? [rows.length] : [rows.length, 1], data: rows.map((r) => r[name as keyof typeof r]) };
  });
}
const infer = (body: unknown, path = '/v2/models/delays/infer', headers: Record<string, string> = {}) => call(base, 'POST', path, body, { ...anon, headers });

describe('Open Inference Protocol REST', () => {
  it('answers health, server metadata and model metadata from the ONNX sessions', async () => {
    expect(await call(base, 'GET', '/v2/health/live', undefined, anon)).toMatchObject({ status: 200, body: { live: true } });
    expect(await call(base, 'GET', '/v2/health/ready', undefined, anon)).toMatchObject({ status: 200, body: { ready: true } });
    const server = await call(base, 'GET', '/v2', undefined, anon);
    expect(server.body).toMatchObject({ name: 'slipway', extensions: ['binary_tensor_data'] });
    const meta = await call(base, 'GET', '/v2/models/delays', undefined, anon);
    expect(meta.status).toBe(200);
    expect(meta.body).toEqual({
      name: 'delays',
      versions: [String(v1), String(v2)],
      platform: 'onnxruntime_onnx',
      inputs: INPUTS.map((name) => ({ name, datatype: name === 'origin' || name === 'destination' ? 'BYTES' : 'FP32', shape: [-1, 1] })),
      outputs: [
        { name: 'probability', datatype: 'FP32', shape: [-1] },
        { name: 'label', datatype: 'INT64', shape: [-1] },
      ],
    });
    expect((await call(base, 'GET', `/v2/models/delays/versions/${v2}`, undefined, anon)).body.versions).toEqual([String(v2)]);
    expect(await call(base, 'GET', '/v2/models/delays/ready', undefined, anon)).toMatchObject({ status: 200, body: { name: 'delays', ready: true } });
    expect(await call(base, 'GET', `/v2/models/delays/versions/${v1}/ready`, undefined, anon)).toMatchObject({ status: 200, body: { ready: true } });
  });

  it('scores per-column tensors ([n] or [n, 1], ints, doubles, strings) with the model’s own scores', async () => {
    const rows = [flight(1500), flight(300, 'ORD'), flight(2400)];
    for (const shape of ['flat', 'column'] as const) {
      const res = await infer({ inputs: columns(rows, shape) }, `/v2/models/delays/versions/${v1}/infer`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model_name: 'delays', model_version: String(v1) });
      const [probability, label] = res.body.outputs;
      expect(probability).toMatchObject({ name: 'probability', datatype: 'FP32', shape: [3] });
      rows.forEach((r, i) => expect(probability.data[i]).toBeCloseTo(tinyScore(CHAMPION, r), 5));
      expect(label).toEqual({ name: 'label', datatype: 'INT64', shape: [3], data: [1, 0, 1] });
    }
  });

  it('scores a single row-major BYTES tensor in the metadata’s input order, and FP32 when every input is numeric', async () => {
    const rows = [flight(1800), flight(200, 'ORD')];
    const data = rows.map((r) => INPUTS.map((n) => String(r[n as keyof typeof r])));
    const res = await infer({ inputs: [{ name: 'input', datatype: 'BYTES', shape: [2, 6], data }], outputs: [{ name: 'probability' }] }, `/v2/models/delays/versions/${v2}/infer`);
    expect(res.status).toBe(200);
    expect(res.body.outputs).toHaveLength(1);
    rows.forEach((r, i) => expect(res.body.outputs[0].data[i]).toBeCloseTo(tinyScore(CANARY, r), 5));
    // A numeric tensor cannot carry the categorical columns: refused, naming the column.
    const fp32 = await infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 6], data: [9, 3, 3, 800, 0, 0] }] });
    expect(fp32.status).toBe(400);
    expect(fp32.body.error).toMatch(/input "input": is FP32 but input "origin" is categorical \(BYTES\)/);
  });

  it('splits OIP traffic like /v1, echoes the caller’s id and issues the feedback key, which a label source can use', async () => {
    const before = requestsOf(await stats());
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => infer({ id: `client-${i}`, inputs: columns([flight(900)]), parameters: { routing_key: `caller-${i}` } })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.map((a) => a.body.id)).toEqual(answers.map((_, i) => `client-${i}`));
    const onCanary = answers.filter((a) => a.body.model_version === String(v2)).length;
    expect(onCanary).toBeGreaterThan(5);
    expect(onCanary).toBeLessThan(40);
    const after = requestsOf(await stats());
    expect(after[v1] + after[v2] - before[v1] - before[v2]).toBe(100);
    expect(after[v2] - before[v2]).toBe(onCanary);
    // The same key stays on its version, on either protocol.
    const again = await call(base, 'POST', '/v1/models/delays/predict', { row: flight(900), routingKey: 'caller-7' }, anon);
    expect(String(again.body.version)).toBe(answers[7].body.model_version);

    const key = answers[0].body.parameters.request_id as string;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const label = await call(base, 'POST', '/v1/models/delays/feedback', { requestId: key, label: 1 }, { token: LABELER_TOKEN });
    expect(label).toMatchObject({ status: 200, body: { requestId: key, version: Number(answers[0].body.model_version), labels: 1 } });
    // The caller's own id is not a feedback key: another caller could have chosen it.
    expect((await call(base, 'POST', '/v1/models/delays/feedback', { requestId: 'client-1', label: 1 }, { token: LABELER_TOKEN })).status).toBe(404);
    // Without an id of its own, the caller gets the feedback key as the id.
    const bare = await infer({ inputs: columns([flight(900)]) });
    expect(bare.body.id).toBe(bare.body.parameters.request_id);
  });

  it('serves a pinned version outside the split and keeps it out of the stats and the feedback ledger', async () => {
    const before = requestsOf(await stats());
    const pinned = await Promise.all(Array.from({ length: 20 }, () => infer({ id: 'p', inputs: columns([flight(1200)]) }, `/v2/models/delays/versions/${v2}/infer`)));
    expect(pinned.every((p) => p.status === 200 && p.body.model_version === String(v2))).toBe(true);
    expect(pinned[0].body.parameters).toBeUndefined();
    expect(requestsOf(await stats())).toEqual(before);
    // A version the deployment does not hold cannot be pinned, though the registry has it.
    const outside = await infer({ inputs: columns([flight(1200)]) }, `/v2/models/delays/versions/${spare}/infer`);
    expect(outside.status).toBe(404);
    expect(outside.body.error).toMatch(new RegExp(`version ${spare} of model "delays" is not deployed`));
    expect((await call(base, 'GET', `/v2/models/delays/versions/${spare}/ready`, undefined, anon)).status).toBe(404);
    expect(requestsOf(await stats())).toEqual(before);
  });

  it('answers the binary tensor data extension in and out', async () => {
    const rows = [flight(1500), flight(600)];
    const header = {
      inputs: INPUTS.map((name) => ({ name, datatype: name === 'origin' || name === 'destination' ? 'BYTES' : 'FP32', shape: [2, 1], parameters: { binary_data_size: 0 } })),
      parameters: { binary_data_output: true },
    };
    const parts = INPUTS.map((name) => {
      if (name === 'origin' || name === 'destination') {
        return Buffer.concat(rows.flatMap((r) => { const s = Buffer.from(String(r[name])); const n = Buffer.alloc(4); n.writeUInt32LE(s.length); return [n, s]; }));
      }
      return Buffer.from(Float32Array.from(rows, (r) => Number(r[name as keyof typeof r])).buffer);
    });
    parts.forEach((p, i) => (header.inputs[i].parameters.binary_data_size = p.length));
    const json = Buffer.from(JSON.stringify(header));
    const res = await fetch(`${base}/v2/models/delays/versions/${v1}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
      body: Buffer.concat([json, ...parts]),
    });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const length = Number(res.headers.get('inference-header-content-length'));
    const doc = JSON.parse(body.toString('utf8', 0, length));
    expect(doc.outputs[0]).toEqual({ name: 'probability', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } });
    const probs = new Float32Array(body.buffer.slice(body.byteOffset + length, body.byteOffset + length + 8));
    rows.forEach((r, i) => expect(probs[i]).toBeCloseTo(tinyScore(CHAMPION, r), 5));
    expect(body.readBigInt64LE(length + 8)).toBe(1n);
  });
});

describe('protocol errors: {"error"} with the status, nothing served', () => {
  const cases: [string, string, unknown, number, RegExp][] = [
    ['an unknown model', '/v2/models/nobody/infer', { inputs: [] }, 404, /model "nobody" is not deployed/],
    ['a version that is not a number', '/v2/models/delays/versions/latest/infer', {}, 400, /version "latest" is not a version number/],
    ['no inputs', '/v2/models/delays/infer', { inputs: [] }, 400, /"inputs": an array of 1 to 256 tensors/],
    ['an unknown input', '/v2/models/delays/infer', { inputs: [{ name: 'wind', datatype: 'FP32', shape: [1], data: [3] }] }, 400, /input "wind" is not an input of this model; its inputs are hour \(FP32\)/],
    ['a missing input', '/v2/models/delays/infer', { inputs: columns([flight(1)]).slice(0, 5) }, 400, /missing input\(s\) "destination"/],
    ['a shape that does not hold the data', '/v2/models/delays/infer', { inputs: [{ ...columns([flight(1)])[0], shape: [2, 1] }] }, 400, /input "hour": shape \[2, 1\] holds 2 values, "data" has 1/],
    ['an unsupported datatype', '/v2/models/delays/infer', { inputs: [{ ...columns([flight(1)])[0], datatype: 'FP16' }] }, 400, /datatype "FP16" is not supported/],
    ['a string in a numeric input', '/v2/models/delays/infer', { inputs: columns([flight(1)]).map((t) => (t.name === 'hour' ? { ...t, datatype: 'BYTES', data: ['9'] } : t)) }, 400, /input "hour" is numeric: send FP32, FP64, INT32 or INT64, not BYTES/],
    ['a fractional INT64', '/v2/models/delays/infer', { inputs: columns([flight(1)]).map((t) => (t.name === 'hour' ? { ...t, data: [9.5] } : t)) }, 400, /input "hour": element 0 is 9.5, not a INT64 value/],
    ['uneven row counts', '/v2/models/delays/infer', { inputs: columns([flight(1)]).map((t) => (t.name === 'hour' ? { ...t, shape: [2, 1], data: [9, 9] } : t)) }, 400, /input "weekday" has 1 rows, input "hour" 2; every input needs the same number/],
    ['too many rows', '/v2/models/delays/infer', { inputs: columns(Array.from({ length: 51 }, () => flight(1))) }, 400, /inputs have 51 rows; send 1 to 50/],
    ['an unknown output', '/v2/models/delays/infer', { inputs: columns([flight(1)]), outputs: [{ name: 'logits' }] }, 400, /output "logits" does not exist; the outputs are probability, label/],
    ['an id that is not a string', '/v2/models/delays/infer', { id: 7, inputs: columns([flight(1)]) }, 400, /"id": a string of at most 256 characters/],
    ['KServe V1 without instances', '/v1/models/delays:predict', { rows: [flight(1)] }, 400, /"instances": an array of 1 to 50/],
    ['KServe V1 with a short value list', '/v1/models/delays:predict', { instances: [[9, 3, 3]] }, 400, /instances\[0\]: a list of 6 values \(hour, weekday, month, distance, origin, destination\); got 3/],
    ['KServe V1 for an unknown model', '/v1/models/nobody:predict', { instances: [flight(1)] }, 404, /model "nobody" is not deployed/],
  ];

  it.each(cases)('refuses %s', async (_what, path, body, status, error) => {
    const before = requestsOf(await stats());
    const res = await call(base, 'POST', path, body, anon);
    expect(res.status).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatch(error);
    expect(requestsOf(await stats())).toEqual(before);
  });

  it('refuses bad JSON, a bad binary header and unknown routes in the same shape', async () => {
    const before = requestsOf(await stats());
    const bad = await fetch(`${base}/v2/models/delays/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/);
    const header = await fetch(`${base}/v2/models/delays/infer`, { method: 'POST', headers: { 'inference-header-content-length': '999' }, body: '{}' });
    expect(header.status).toBe(400);
    expect(((await header.json()) as { error: string }).error).toMatch(/inference-header-content-length "999": the length of the JSON part, 1 to 2/);
    const short = { inputs: [{ name: 'hour', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 8 } }] };
    const json = JSON.stringify(short);
    const trunc = await fetch(`${base}/v2/models/delays/infer`, { method: 'POST', headers: { 'inference-header-content-length': String(json.length) }, body: json + 'abcd' });
    expect(((await trunc.json()) as { error: string }).error).toMatch(/binary_data_size 8 runs past the 4 binary bytes left/);
    const missing = await call(base, 'GET', '/v2/repository/index', undefined, anon);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no route GET \/v2\/repository\/index/);
    expect(requestsOf(await stats())).toEqual(before);
  });
});

describe('KServe V1', () => {
  it('predicts instances as feature objects or value lists, with the split, the feedback key and version as headers', async () => {
    const ready = await call(base, 'GET', '/v1/models/delays', undefined, anon);
    expect(ready).toMatchObject({ status: 200, body: { name: 'delays', ready: true } });
    const rows = [flight(1500), flight(400, 'ORD')];
    const res = await call(base, 'POST', '/v1/models/delays:predict', { instances: [rows[0], INPUTS.map((n) => rows[1][n as keyof (typeof rows)[1]])] }, { ...anon, headers: { 'x-routing-key': 'kserve-1' } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['predictions']);
    const version = Number(res.headers.get('x-slipway-model-version'));
    const weights = version === v1 ? CHAMPION : CANARY;
    rows.forEach((r, i) => expect(res.body.predictions[i]).toBeCloseTo(tinyScore(weights, r), 5));
    const key = res.headers.get('x-slipway-request-id')!;
    const label = await call(base, 'POST', '/v1/models/delays/feedback', { requestId: key, labels: [1, 0] }, { token: LABELER_TOKEN });
    expect(label).toMatchObject({ status: 200, body: { version, labels: 2 } });
  });
});
