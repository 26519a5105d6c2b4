/**
 * The inference log against the real model server, onnxruntime and DuckDB: at a 100% sample the
 * logged rows are exactly the served rows on every protocol (/v1, KServe V1, OIP REST and gRPC);
 * a canary is logged whole; a full buffer drops and counts; prediction logs from a server
 * elsewhere are taken only from an authenticated source granted the model, and a bad batch stores nothing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSnapshot } from '../../src/activities/ingest';
import { StaticTokenAuthenticator, type Authenticator } from '../../src/auth/authenticator';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';
import { ingestParamsSchema } from '../../src/pipeline/step-params';
import { queryRows, withDuckDb } from '../../src/data/duckdb';
import { mergedLogSql, servedLogFiles, servedRelationSql } from '../../src/data/served-source';
import { startOipGrpcServer } from '../../src/serving/grpc/oip-grpc';
import { readWindows } from '../../src/serving/inference-log/log-manifest';
import type { SampleRates } from '../../src/serving/inference-log/sample-rates';
import { ADMIN_TOKEN, call, createServingWorld, flight, LABELER_TOKEN, startServer, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

const INPUTS = ['hour', 'weekday', 'month', 'distance', 'origin', 'destination'] as const;
const tensors = (row = flight(900)) => INPUTS.map((name) => ({ name, datatype: name === 'origin' || name === 'destination' ? 'BYTES' : 'FP32', shape: [1, 1], data: [row[name]] }));
const OTHER_LABELER = 'o'.repeat(40);

let world: ServingWorld;
let versions: number[];
const dirs: string[] = [];

beforeAll(async () => {
  world = await createServingWorld();
  versions = [(await world.register('delays', tinyFlightsModel({ bias: -1, distance: 1 }))).version, (await world.register('delays', tinyFlightsModel({ bias: 1 }))).version];
});

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  await world?.close();
});

const rates = (defaultRate: number): SampleRates => ({ defaultRate, perModel: new Map() });

async function logServer(options: { defaultRate: number; random?: () => number; maxBufferedRows?: number; flushMs?: number; dir?: string; authenticator?: Authenticator; labelQuotaPerMinute?: number }) {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'slipway-inference-log-')));
  dirs.push(dir);
  const authenticator = options.authenticator ?? new StaticTokenAuthenticator([
    { name: 'test', token: ADMIN_TOKEN },
    { name: 'kserve-east', token: LABELER_TOKEN, roles: ['labeler'], grants: [{ model: 'delays', alias: '*' }] },
    { name: 'other', token: OTHER_LABELER, roles: ['labeler'], grants: [{ model: 'churn', alias: '*' }] },
  ]);
  const limits = options.labelQuotaPerMinute === undefined ? {} : { labelQuotaPerMinute: options.labelQuotaPerMinute };
  const { server, base } = await startServer(world, limits, {
    adminAuthenticator: authenticator,
    inferenceLog: { dir, store: world.store, rates: rates(options.defaultRate), random: options.random, maxBufferedRows: options.maxBufferedRows, flushMs: options.flushMs },
  });
  return { server, base, dir };
}

async function logged(dir: string): Promise<Record<string, any>[]> {
  const files = await servedLogFiles(dir, world.store, 'delays');
  return withDuckDb({ threads: 1 }, (conn) =>
    queryRows(conn, `SELECT request_id, "row", version, protocol, source, to_json(features) AS features, prediction, label FROM ${mergedLogSql(files)} ORDER BY request_id, "row"`),
  );
}

const deploy = (base: string, split: { version: number; weight: number }[]) => call(base, 'PUT', '/admin/v1/models/delays/deployment', { versions: split });

describe('inference log', () => {
  it('logs exactly the served rows at a 100% sample, on /v1, KServe V1, OIP REST and gRPC', async () => {
    const { server, base, dir } = await logServer({ defaultRate: 1 });
    expect((await deploy(base, [{ version: versions[0], weight: 100 }])).status).toBe(200);
    const grpcServer = await startOipGrpcServer(server.protocol, { host: '127.0.0.1', port: 0, rateLimitPerSecond: 0 });
    const definition = protoLoader.loadSync(join(__dirname, '..', '..', 'src', 'serving', 'grpc', 'grpc_predict_v2.proto'), { keepCase: true, longs: Number, defaults: true, oneofs: true });
    const Service = (grpc.loadPackageDefinition(definition) as any).inference.GRPCInferenceService as grpc.ServiceClientConstructor;
    const client = new Service(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure()) as any;

    // What the clients were told: request id, row, protocol, features, score.
    const served: { id: string; row: number; protocol: string; features: Record<string, unknown>; score: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const rows = i === 3 ? [flight(500), flight(1500, 'ORD'), flight(2500)] : [flight(800 + i * 100)];
      const r = await call(base, 'POST', '/v1/models/delays/predict', { rows }, { token: null });
      rows.forEach((f, j) => served.push({ id: r.body.requestId, row: j, protocol: 'v1', features: f, score: r.body.predictions[j].score }));
    }
    for (let i = 0; i < 3; i++) {
      const instances = i === 2 ? [flight(700), flight(1700)] : [flight(1200 + i)];
      const r = await call(base, 'POST', '/v1/models/delays:predict', { instances }, { token: null });
      instances.forEach((f, j) => served.push({ id: r.headers.get('x-slipway-request-id')!, row: j, protocol: 'kserve-v1', features: f, score: r.body.predictions[j] }));
    }
    for (let i = 0; i < 3; i++) {
      const f = flight(300 + i * 10);
      const r = await call(base, 'POST', '/v2/models/delays/infer', { inputs: tensors(f) }, { token: null });
      served.push({ id: r.body.parameters.request_id, row: 0, protocol: 'oip-rest', features: f, score: r.body.outputs.find((o: any) => o.name === 'probability').data[0] });
    }
    for (let i = 0; i < 3; i++) {
      const f = flight(1900 + i * 10);
      const request = { model_name: 'delays', inputs: tensors(f).map(({ data, ...t }) => ({ ...t, contents: t.datatype === 'BYTES' ? { bytes_contents: data.map((v) => Buffer.from(String(v))) } : { fp32_contents: data } })) };
      const res = await new Promise<any>((resolve, reject) => client.ModelInfer(request, new grpc.Metadata(), (err: unknown, out: unknown) => (err ? reject(err) : resolve(out))));
      const probability = res.outputs.findIndex((o: any) => o.name === 'probability');
      served.push({ id: res.id, row: 0, protocol: 'oip-grpc', features: f, score: Buffer.from(res.raw_output_contents[probability]).readFloatLE(0) });
    }
    client.close();
    await grpcServer.close();
    // Closing flushes the buffer and seals the open segment into a Parquet window.
    await server.app.close();

    const rows = await logged(dir);
    expect(rows.length).toBe(served.length);
    const byKey = new Map(rows.map((r) => [`${r.request_id}/${r.row}`, r]));
    for (const s of served) {
      const r = byKey.get(`${s.id}/${s.row}`);
      expect(r, `${s.protocol} ${s.id}/${s.row}`).toBeDefined();
      expect(r).toMatchObject({ protocol: s.protocol, version: versions[0], source: 'server', label: null });
      expect(JSON.parse(r!.features)).toEqual(s.features);
      expect(JSON.parse(r!.prediction).score).toBeCloseTo(s.score, 6);
    }
    expect(server.inferenceLog!.counts).toMatchObject({ written: served.length, dropped: 0, failed: 0 });
  });

  it('logs every request of a canary even at a low sample rate, and none at that rate without one', async () => {
    // The draw is always 0.5, so a 5% sample never picks a request: only the canary rule logs.
    const { server, base, dir } = await logServer({ defaultRate: 0.05, random: () => 0.5 });
    await deploy(base, [{ version: versions[0], weight: 100 }]);
    for (let i = 0; i < 5; i++) expect((await call(base, 'POST', '/v1/models/delays/predict', { row: flight(900) }, { token: null })).status).toBe(200);
    await server.inferenceLog!.flush();
    expect(server.inferenceLog!.counts.written).toBe(0);
    await deploy(base, [{ version: versions[0], weight: 50 }, { version: versions[1], weight: 50 }]);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await call(base, 'POST', '/v1/models/delays/predict', { row: flight(900) }, { token: null })).body.requestId);
    await server.app.close();
    const rows = await logged(dir);
    expect(rows.map((r) => r.request_id).sort()).toEqual(ids.sort());
    expect(new Set(rows.map((r) => r.version))).toEqual(new Set(versions));
  });

  it('drops served rows beyond the buffer bound and counts them in the metrics', async () => {
    // No timed flush during the test: the buffer fills.
    const { server, base, dir } = await logServer({ defaultRate: 1, maxBufferedRows: 3, flushMs: 600_000 });
    await deploy(base, [{ version: versions[0], weight: 100 }]);
    for (let i = 0; i < 5; i++) expect((await call(base, 'POST', '/v1/models/delays/predict', { row: flight(900 + i) }, { token: null })).status).toBe(200);
    const metrics = await call(base, 'GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toMatch(/slipway_serving_inference_log_rows_total\{outcome="dropped"\} 2/);
    expect(metrics.body).toMatch(/slipway_serving_inference_log_buffered_rows 3/);
    await server.app.close();
    expect((await logged(dir)).length).toBe(3);
  });

  it('stores NDJSON prediction logs of a model served elsewhere, per authenticated source, and refuses the rest storing nothing', async () => {
    const { server, base, dir } = await logServer({ defaultRate: 0 });
    const ndjson = (lines: unknown[], token: string | null) =>
      fetch(`${base}/v1/models/delays/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: lines.map((l) => JSON.stringify(l)).join('\n'),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const good = [
      { requestId: 'ext-1', time: '2026-12-01T10:00:00Z', version: 7, features: { distance: 900, origin: 'ATL' }, prediction: 0.25 },
      { requestId: 'ext-2', time: '2026-12-01T10:00:01Z', features: { distance: 1900, origin: 'ORD' }, prediction: 0.75 },
      { requestId: 'ext-1', label: 1 },
    ];
    const written = () => server.inferenceLog!.counts.written;
    expect(await ndjson(good, null)).toMatchObject({ status: 401 });
    expect(await ndjson(good, OTHER_LABELER)).toMatchObject({ status: 403, body: { message: expect.stringMatching(/no grant on model delays/) } });
    const bad = await ndjson([good[0], { requestId: 'ext-3', version: 'seven', features: {} }], LABELER_TOKEN);
    expect(bad).toMatchObject({ status: 400, body: { message: expect.stringMatching(/line 2: "version": "seven" is not a version number/) } });
    expect(written()).toBe(0);

    expect(await ndjson(good, LABELER_TOKEN)).toEqual({ status: 200, body: { model: 'delays', source: 'env:kserve-east', rows: 3 } });
    expect(written()).toBe(3);
    await server.app.close();
    const rows = await logged(dir);
    expect(rows.map((r) => ({ id: r.request_id, source: r.source, version: r.version, label: r.label, prediction: r.prediction, features: JSON.parse(r.features) }))).toEqual([
      { id: 'ext-1', source: 'env:kserve-east', version: 7, label: '1', prediction: '0.25', features: { distance: 900, origin: 'ATL' } },
      { id: 'ext-2', source: 'env:kserve-east', version: null, label: null, prediction: '0.75', features: { distance: 1900, origin: 'ORD' } },
    ]);
  });

  it('refuses a caller named "server", the source of the server\'s own rows and labels, storing nothing', async () => {
    // A database principal may be called anything the name rule allows; this one would merge its labels into the server's rows.
    const impostor: Authenticator = { authenticate: async (t) => (t === LABELER_TOKEN ? { name: 'server', roles: ['labeler'], grants: [{ model: 'delays', alias: '*' }] } : undefined) };
    const { server, base } = await logServer({ defaultRate: 0, authenticator: impostor });
    const r = await fetch(`${base}/v1/models/delays/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${LABELER_TOKEN}` },
      body: JSON.stringify({ requestId: 'srv-1', label: 1 }),
    });
    expect({ status: r.status, body: await r.json() }).toMatchObject({ status: 403, body: { message: expect.stringMatching(/source name "server" is reserved/) } });
    expect(server.inferenceLog!.counts.written).toBe(0);
    await server.app.close();
  });

  it('ingests a model\'s logged traffic for a window as a source: served features, with the labels feedback joined', async () => {
    const { server, base, dir } = await logServer({ defaultRate: 0 });
    const now = Date.now();
    // 40 predictions over the last hour, features and prediction in one half, the label in another (as feedback arrives).
    const lines = Array.from({ length: 40 }, (_, i) => ({ requestId: `r${i}`, time: now - (40 - i) * 60_000, features: flight(500 + 50 * i, i % 2 ? 'ORD' : 'ATL'), prediction: 0.5 }));
    const labels = lines.slice(0, 30).map((l, i) => ({ requestId: l.requestId, label: i % 3 === 0 ? 1 : 0 }));
    // One prediction from before the window: the source must leave it out.
    const old = { requestId: 'old', time: now - 3 * 86_400_000, features: flight(100), prediction: 0.1 };
    for (const batch of [lines, labels, [old]]) {
      const r = await fetch(`${base}/v1/models/delays/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${LABELER_TOKEN}` }, body: batch.map((l) => JSON.stringify(l)).join('\n') });
      expect(r.status).toBe(200);
    }
    await server.app.close();
    const params = ingestParamsSchema.parse({
      source: { served: { model: 'delays', window: '1 day' } },
      timeColumn: 'served_at',
      features: [{ name: 'distance', column: 'distance' }, { name: 'origin', column: 'origin' }],
      label: { name: 'label', column: 'label' },
      split: { strategy: 'time', holdoutFraction: 0.2 },
    });
    expect(params.source.path).toBe('served:delays');
    // Activities parse the already parsed step parameters again: the served source must survive that.
    expect(ingestParamsSchema.parse(params)).toEqual(params);
    const out = await ingestSnapshot({ store: world.store, duckdbThreads: 1, dataRoots: { roots: [], ...SOURCE_LIMIT_DEFAULTS }, inferenceLogDir: dir }, params, 'ingest');
    expect(out.summary.trainRows + out.summary.holdoutRows).toBe(40);
    const snapshot = await withDuckDb({ threads: 1 }, async (conn) =>
      queryRows(conn, `SELECT count(*) AS n, count(label) AS labelled, sum(label) AS positives, min(distance) AS lo FROM read_parquet(['${await world.store.localPath(out.artifacts.train)}', '${await world.store.localPath(out.artifacts.holdout)}'])`),
    );
    expect(snapshot[0]).toEqual({ n: 40, labelled: 30, positives: 10, lo: 500 });
    // Without the log folder the source is refused with a message that says what to set.
    await expect(ingestSnapshot({ store: world.store, duckdbThreads: 1, dataRoots: { roots: [], ...SOURCE_LIMIT_DEFAULTS } }, params, 'ingest')).rejects.toThrow(/SLIPWAY_INFERENCE_LOG_DIR/);
    expect(() => ingestParamsSchema.parse({ ...params, source: { path: 'x.parquet', served: { model: 'delays', window: '1 day' } } })).toThrow(/exactly one of source.path/);
  });

  it('joins the server\'s own feedback to its logged rows by request id, so a served window yields labelled rows', async () => {
    // Every other request is sampled: labels of unsampled predictions are not logged (they would join nothing).
    let draw = 0;
    const { server, base, dir } = await logServer({ defaultRate: 0.5, random: () => (draw++ % 2 === 0 ? 0.1 : 0.9) });
    await deploy(base, [{ version: versions[0], weight: 100 }]);
    const served: { id: string; rows: number; labels: (0 | 1 | boolean)[] }[] = [];
    for (let i = 0; i < 8; i++) {
      const rows = i === 6 ? [flight(600), flight(2600, 'ORD')] : [flight(700 + i * 200)];
      const r = await call(base, 'POST', '/v1/models/delays/predict', { rows }, { token: null });
      expect(r.status).toBe(200);
      served.push({ id: r.body.requestId, rows: rows.length, labels: i === 6 ? [true, 0] : [i % 2 === 0 ? 1 : 0] });
    }
    const feedback = (s: (typeof served)[number]) =>
      call(base, 'POST', '/v1/models/delays/feedback', s.labels.length > 1 ? { requestId: s.id, labels: s.labels } : { requestId: s.id, label: s.labels[0] }, { token: LABELER_TOKEN });
    // Requests 0..5 and 6 (two rows) get labels; request 7 stays unlabelled.
    for (const s of served.slice(0, 7)) expect((await feedback(s)).status).toBe(200);
    // A refused label (already given) logs nothing more.
    expect((await feedback(served[0])).status).toBe(409);
    await server.app.close();

    const rows = await logged(dir);
    const sampled = served.filter((_, i) => i % 2 === 0);
    expect(rows.map((r) => `${r.request_id}/${r.row}`).sort()).toEqual(sampled.flatMap((s) => Array.from({ length: s.rows }, (_, j) => `${s.id}/${j}`)).sort());
    const byKey = new Map(rows.map((r) => [`${r.request_id}/${r.row}`, r]));
    for (const s of sampled) {
      for (let j = 0; j < s.rows; j++) {
        const r = byKey.get(`${s.id}/${j}`)!;
        expect(r.features, 'the label half merged into the served row').not.toBeNull();
        expect(r.label).toBe(String(s.labels[j] === true || s.labels[j] === 1 ? 1 : 0));
      }
    }
    // 4 sampled requests = 5 served rows + 5 label rows: the labels of unsampled requests were not logged.
    expect(server.inferenceLog!.counts.written).toBe(10);

    const params = ingestParamsSchema.parse({
      source: { served: { model: 'delays', window: '1 day' } },
      timeColumn: 'served_at',
      features: [{ name: 'distance', column: 'distance' }, { name: 'origin', column: 'origin' }],
      label: { name: 'label', column: 'label' },
      split: { strategy: 'hash', holdoutFraction: 0.2 },
    });
    const out = await ingestSnapshot({ store: world.store, duckdbThreads: 1, dataRoots: { roots: [], ...SOURCE_LIMIT_DEFAULTS }, inferenceLogDir: dir }, params, 'ingest');
    const snapshot = await withDuckDb({ threads: 1 }, async (conn) =>
      queryRows(conn, `SELECT count(*) AS n, count(label) AS labelled, sum(label) AS positives FROM read_parquet(['${await world.store.localPath(out.artifacts.train)}', '${await world.store.localPath(out.artifacts.holdout)}'])`),
    );
    // Sampled: requests 0, 2, 4 (labels 1, 1, 1) and 6 (labels true, 0).
    expect(snapshot[0]).toEqual({ n: 5, labelled: 5, positives: 4 });
  });

  it('answers 503 when the inference log cannot take a label, records nothing (label, stats, quota), and takes the retry', async () => {
    // A one-row buffer with no timed flush: the served row fills it, so the label does not fit until it is flushed.
    const { server, base, dir } = await logServer({ defaultRate: 1, maxBufferedRows: 1, flushMs: 600_000, labelQuotaPerMinute: 1 });
    await deploy(base, [{ version: versions[0], weight: 100 }]);
    const served = await call(base, 'POST', '/v1/models/delays/predict', { row: flight(900) }, { token: null });
    expect(served.status).toBe(200);
    const label = () => call(base, 'POST', '/v1/models/delays/feedback', { requestId: served.body.requestId, label: 1 }, { token: LABELER_TOKEN });
    const labelsCounted = async () => Number(/slipway_serving_feedback_labels_total\{[^}]*model="delays"[^}]*\} (\d+)/.exec((await call(base, 'GET', '/metrics', undefined, { token: null })).body)?.[1] ?? 0);

    const refused = await label();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.detail).toMatch(/could not be written to the inference log; nothing was recorded/);
    expect(await labelsCounted()).toBe(0);

    await server.inferenceLog!.flush();
    // The same source may retry at once: the refused label gave its quota (1 a minute) back, and the id is not marked labelled.
    const retried = await label();
    expect(retried.status).toBe(200);
    expect(await labelsCounted()).toBe(1);
    expect((await label()).status).toBe(409);
    await server.app.close();
    const rows = await logged(dir);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ request_id: served.body.requestId, label: '1' });
  });

  it('reads labels that arrived in a window of their own, which holds no features to type', async () => {
    const post = (base: string, lines: unknown[]) =>
      fetch(`${base}/v1/models/delays/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${LABELER_TOKEN}` }, body: lines.map((l) => JSON.stringify(l)).join('\n') });
    const first = await logServer({ defaultRate: 0 });
    expect((await post(first.base, [0, 1, 2].map((i) => ({ requestId: `w${i}`, features: flight(1000 + i), prediction: 0.5 })))).status).toBe(200);
    // Closing seals the window; the labels land in the next one, alone.
    await first.server.app.close();
    const second = await logServer({ defaultRate: 0, dir: first.dir });
    expect((await post(second.base, [0, 1].map((i) => ({ requestId: `w${i}`, label: i })))).status).toBe(200);
    await second.server.app.close();
    // What an ingest of the served source reads: the features unnested into columns.
    const files = await servedLogFiles(first.dir, world.store, 'delays');
    expect(files).toHaveLength(2);
    const rows = await withDuckDb({ threads: 1 }, (conn) => queryRows(conn, `SELECT request_id, distance, label FROM ${servedRelationSql(files)} ORDER BY request_id`));
    expect(rows.map((r) => [r.request_id, r.distance, r.label])).toEqual([
      ['w0', 1000, 0],
      ['w1', 1001, 1],
      ['w2', 1002, null],
    ]);
    // A window with the labels alone has no rows to read, and says so.
    const labelsOnly = (await readWindows(first.dir, { model: 'delays' })).find((w) => w.features === false)!;
    await expect(servedLogFiles(first.dir, world.store, 'delays', Date.parse(labelsOnly.from))).rejects.toThrow(/holds only responses and labels, no request features/);
  });

  it('takes a KServe payload-logger stream posted with the CloudEvents SDK, pairs request and response by ce-id, and refuses a source without a grant', async () => {
    const python = execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'log-client.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const { server, base, dir } = await logServer({ defaultRate: 0 });
    // Asynchronous: the server answers on this process's event loop.
    const stream = async (token: string, count: number) =>
      JSON.parse((await promisify(execFile)(python, [join(__dirname, 'kserve_logger_stream.py'), `${base}/v1/models/delays/logs`, token, String(count)], { encoding: 'utf8' })).stdout) as {
        statuses: Record<string, number>;
        sent: { id: string; distance: number; score: number }[];
      };
    const refused = await stream(OTHER_LABELER, 3);
    expect(refused.statuses).toEqual({ 403: 6 });
    expect(server.inferenceLog!.counts.written).toBe(0);
    const accepted = await stream(LABELER_TOKEN, 30);
    expect(accepted.statuses).toEqual({ 200: 60 });
    await server.app.close();
    const rows = await logged(dir);
    expect(rows).toHaveLength(30);
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    for (const s of accepted.sent) {
      const r = byId.get(s.id);
      expect(r).toMatchObject({ protocol: 'kserve-cloudevents', source: 'env:kserve-east', version: null });
      expect(JSON.parse(r!.features).distance).toBe(s.distance);
      expect(Number(JSON.parse(r!.prediction))).toBeCloseTo(s.score, 9);
    }
  });
});
