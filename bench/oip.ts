/**
 * Benchmark: Open Inference Protocol REST inference against the model server's own `/v1`
 * route (the floor), same server process, same run, same canary split (90/10 of two models
 * trained on a week of flights), same held-out flights as single-row requests.
 *   1. peak throughput (autocannon, closed loop, 16 connections, 8 s), rounds alternating
 *      `/v1/models/:name/predict` and `/v2/models/:name/infer` (JSON tensors, as most clients send)
 *      and, for gRPC, `ModelInfer` from ghz (a Go gRPC load generator, scripts/ghz.sh) over 16
 *      connections, 16 calls in flight, typed contents. A Node @grpc/grpc-js client was the
 *      bottleneck, not the server: with 16 such loops the server sat ~70% idle (CPU profile) at
 *      ~120 req/s, and a bare grpc-js echo server and client in one process managed 120–1,000.
 *   2. latency at a steady 1,000 requests/s (open loop, client side), 3 × 5,000 requests per
 *      route, alternating, so both see the same machine
 * Targets (issue #18): OIP throughput ≥ 90% of `/v1`, OIP p99 ≤ 5 ms at 1,000 requests/s,
 * gRPC throughput ≥ OIP REST's.
 * Usage: npm run bench:oip
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../src/data/flights-window';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { createAgent, sendJson } from '../tools/http-json';
import type { FeatureRow } from '../src/serving/loaded-model';
import { loadFlightTraffic } from '../tools/replay-traffic';
import { spawnServer, stopServer } from '../src/serving/server-process';
import { runBuiltinTrainer } from '../src/training/builtin-trainer';

const MODEL = 'flight-delay';
const TOKEN = randomBytes(32).toString('hex');
const TARGET_RATIO = 0.9;
const TARGET_P99_MS = 5;

type Route = 'v1' | 'oip';
const run = promisify(execFile);
const PROTO = path.join(__dirname, '..', 'src', 'serving', 'grpc', 'grpc_predict_v2.proto');
interface Metadata {
  inputs: { name: string; datatype: string }[];
}

async function trainVersions(dir: string): Promise<number[]> {
  const registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
  const store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  const trainPath = path.join(dir, 'train.parquet');
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-08');
  const versions: number[] = [];
  for (const seed of [1, 2]) {
    const { modelPath } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 2, seed }, outputDir: path.join(dir, `model-${seed}`) });
    const artifact = await store.put(modelPath, { name: 'model', mediaType: 'application/onnx' });
    const v = await registry.registerVersion({
      model: MODEL,
      idempotencyKey: `bench-oip/${seed}`,
      artifact,
      metrics: {},
      params: { epochs: 2, seed },
      lineage: { dataDigest: artifact.sha256, specDigest: 'bench', workflowId: 'bench', runId: 'bench', pipeline: 'bench', trainer: 'builtin' },
    });
    versions.push(v.version);
  }
  await registry.close();
  return versions;
}

/** One request body per row, for each route; OIP sends one [1, 1] tensor per input, as tritonclient does. */
function bodies(rows: FeatureRow[], meta: Metadata): Record<Route, { path: string; body: string }[]> {
  return {
    v1: rows.map((row) => ({ path: `/v1/models/${MODEL}/predict`, body: JSON.stringify({ row }) })),
    oip: rows.map((row) => ({
      path: `/v2/models/${MODEL}/infer`,
      body: JSON.stringify({ inputs: meta.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [1, 1], data: [row[i.name]] })) }),
    })),
  };
}

async function peak(base: string, requests: { path: string; body: string }[], seconds: number) {
  const result = await autocannon({
    url: base,
    connections: 16,
    duration: seconds,
    requests: requests.slice(0, 500).map((r) => ({ method: 'POST' as const, path: r.path, headers: { 'content-type': 'application/json' }, body: r.body })),
  });
  return { rps: result.requests.average, non2xx: result.non2xx, errors: result.errors };
}

/** The gRPC requests (protobuf JSON: bytes in base64), written once for ghz to cycle through. */
async function writeGrpcRequests(file: string, rows: FeatureRow[], meta: Metadata): Promise<void> {
  const requests = rows.slice(0, 500).map((row) => ({
    model_name: MODEL,
    inputs: meta.inputs.map((i) => ({
      name: i.name,
      datatype: i.datatype,
      shape: [1, 1],
      contents: i.datatype === 'BYTES' ? { bytes_contents: [Buffer.from(String(row[i.name])).toString('base64')] } : { fp32_contents: [Number(row[i.name])] },
    })),
  }));
  await writeFile(file, JSON.stringify(requests));
}

/**
 * Closed loop over gRPC with ghz: 16 connections, one call in flight on each, for `seconds`.
 * Calls still in flight when the duration ends come back as Unavailable/Canceled; they are
 * counted apart (`cut`), and the rate counts completed OK calls only.
 */
async function grpcPeak(ghz: string, port: number, data: string, seconds: number) {
  const args = ['--insecure', '--proto', PROTO, '--call', 'inference.GRPCInferenceService.ModelInfer', '-D', data, '-c', '16', '--connections', '16', '-z', `${seconds}s`, '-O', 'json', `127.0.0.1:${port}`];
  const { stdout } = await run(ghz, args, { maxBuffer: 64 << 20 });
  const report = JSON.parse(stdout) as { total: number; statusCodeDistribution: Record<string, number> };
  const codes = report.statusCodeDistribution;
  const ok = codes.OK ?? 0;
  const cut = (codes.Unavailable ?? 0) + (codes.Canceled ?? 0);
  const errors = Object.values(codes).reduce((a, b) => a + b, 0) - ok - cut;
  return { rps: ok / (report.total / 1e9), non2xx: errors, errors: 0, cut };
}

/** POSTs a prepared JSON body (no parse and re-serialise on the client); resolves with the status. */
function sendRaw(agent: http.Agent, url: URL, body: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.href} within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Open loop: requests due by the clock are sent every 2 ms whatever is still in flight; client-side latency each. */
async function steady(base: string, requests: { path: string; body: string }[], rate: number, n: number) {
  const agent = createAgent(256);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const pending: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; sent < due; sent++) {
      const r = requests[sent % requests.length];
      const t0 = performance.now();
      pending.push(
        sendRaw(agent, new URL(r.path, base), r.body).then(
          (res) => {
            latencies.push(performance.now() - t0);
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          },
          () => {
            statuses[0] = (statuses[0] ?? 0) + 1;
          },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latencies, statuses, achieved: n / seconds };
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: sorted[sorted.length - 1] };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-oip-'));
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  const admin = createAgent(2);
  try {
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const [v1, v2] = await trainVersions(dir);
    const grpcPort = 20_000 + Math.floor(Math.random() * 20_000);
    const traffic = await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-22', limit: 20_000 });
    server = await spawnServer({
      SLIPWAY_DATA_DIR: dir,
      SLIPWAY_REGISTRY_PATH: path.join(dir, 'registry.sqlite'),
      SLIPWAY_ARTIFACT_ROOT: path.join(dir, 'artifacts'),
      SLIPWAY_SERVE_ADMIN_TOKEN: TOKEN,
      // The rate limiter stays on for both routes (its cost is in both figures), never reached.
      SLIPWAY_SERVE_RATE_LIMIT: '1000000',
      SLIPWAY_SERVE_GRPC_PORT: String(grpcPort),
    });
    const put = await sendJson(admin, new URL(`/admin/v1/models/${MODEL}/deployment`, server.base), { versions: [{ version: v1, weight: 90 }, { version: v2, weight: 10 }] }, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` } });
    if (put.status !== 200) throw new Error(`deployment answered ${put.status}: ${JSON.stringify(put.body)}`);
    const meta = (await sendJson(admin, new URL(`/v2/models/${MODEL}`, server.base), undefined, { method: 'GET' })).body as Metadata;
    // JSON tensors cannot carry a missing value: rows with one are left out of both routes alike.
    const rows = traffic.rows.filter((row) => meta.inputs.every((i) => row[i.name] != null));
    const bodiesOf = bodies(rows, meta);
    console.log(`models: versions ${v1}, ${v2} split 90/10; traffic: ${rows.length} held-out flights; OIP inputs: ${meta.inputs.map((i) => `${i.name}:${i.datatype}`).join(', ')}`);

    const ghz = (await run(path.join(__dirname, '..', 'scripts', 'ghz.sh'))).stdout.trim();
    const grpcData = path.join(dir, 'grpc-requests.json');
    await writeGrpcRequests(grpcData, rows, meta);

    // Warm-up: JIT, sockets, ONNX first runs, on every route.
    for (const route of ['v1', 'oip'] as Route[]) await peak(server.base, bodiesOf[route], 3);
    await grpcPeak(ghz, grpcPort, grpcData, 3);

    const peaks: Record<Route | 'grpc', { rps: number; non2xx: number; errors: number; cut?: number }[]> = { v1: [], oip: [], grpc: [] };
    for (let round = 0; round < 2; round++) {
      for (const route of (round % 2 === 0 ? ['v1', 'oip', 'grpc'] : ['grpc', 'oip', 'v1']) as (Route | 'grpc')[]) {
        peaks[route].push(route === 'grpc' ? await grpcPeak(ghz, grpcPort, grpcData, 8) : await peak(server.base, bodiesOf[route], 8));
      }
    }
    const latency: Record<Route, number[]> = { v1: [], oip: [] };
    const statuses: Record<Route, Record<number, number>> = { v1: {}, oip: {} };
    const achieved: Record<Route, number[]> = { v1: [], oip: [] };
    for (let round = 0; round < 3; round++) {
      for (const route of (round % 2 === 0 ? ['v1', 'oip'] : ['oip', 'v1']) as Route[]) {
        const s = await steady(server.base, bodiesOf[route].slice(round * 5000), 1000, 5000);
        latency[route].push(...s.latencies);
        achieved[route].push(s.achieved);
        for (const [k, v] of Object.entries(s.statuses)) statuses[route][Number(k)] = (statuses[route][Number(k)] ?? 0) + v;
      }
    }

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const rps = { v1: mean(peaks.v1.map((p) => p.rps)), oip: mean(peaks.oip.map((p) => p.rps)), grpc: mean(peaks.grpc.map((p) => p.rps)) };
    const ratio = rps.oip / rps.v1;
    const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    console.log('\nOpen Inference Protocol REST vs /v1 — canary split 90/10, single-row requests of real held-out flights');
    console.log('\n1. peak throughput (16 connections; autocannon for REST, ghz for gRPC; 8 s, 2 rounds each, alternating)');
    const label = { v1: '/v1 predict (floor)', oip: 'OIP /v2 infer      ', grpc: 'OIP gRPC ModelInfer' };
    for (const route of ['v1', 'oip', 'grpc'] as const) {
      console.log(`   ${label[route]}  ${peaks[route].map((p) => p.rps.toFixed(0)).join(' / ')} req/s → mean ${rps[route].toFixed(0)}; non-2xx ${peaks[route].reduce((n, p) => n + p.non2xx, 0)}, errors ${peaks[route].reduce((n, p) => n + p.errors, 0)}${route === 'grpc' ? `, in flight at the end ${peaks.grpc.reduce((n, p) => n + (p.cut ?? 0), 0)}` : ''}`);
    }
    console.log(`   ratio OIP / v1       ${(ratio * 100).toFixed(1)}%   (target ≥ ${TARGET_RATIO * 100}%: ${verdict(ratio >= TARGET_RATIO)})`);
    console.log(`   ratio gRPC / REST    ${((rps.grpc / rps.oip) * 100).toFixed(1)}%   (target ≥ 100%: ${verdict(rps.grpc >= rps.oip)})`);
    console.log('\n2. steady 1,000 requests/s (open loop, 3 × 5,000 requests per route, alternating)');
    for (const route of ['v1', 'oip'] as Route[]) {
      const p = percentiles(latency[route]);
      const target = route === 'oip' ? `   (target p99 ≤ ${TARGET_P99_MS} ms: ${verdict(p.p99 <= TARGET_P99_MS)})` : '   (floor)';
      console.log(`   ${route === 'v1' ? '/v1 predict  ' : 'OIP /v2 infer'}  achieved ${mean(achieved[route]).toFixed(0)} req/s; statuses ${JSON.stringify(statuses[route])}; p50/p90/p99/max ${ms(p.p50)} / ${ms(p.p90)} / ${ms(p.p99)} / ${ms(p.max)}${target}`);
    }
  } finally {
    admin.destroy();
    if (server) await stopServer(server);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
