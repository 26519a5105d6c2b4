/**
 * Benchmark: the model server under load, with a 90/10 canary split of two real models
 * (trained on a week of flights) and real held-out flights as single-row predictions.
 *   1. latency at a steady 1,000 requests/s (open loop, evenly spaced; client and server side),
 *      alternating with the same load on the floor so both see the same machine
 *   2. peak throughput (autocannon, closed loop) against the floor: a bare Fastify endpoint
 *      answering constant JSON to the same bodies, measured in the same run
 *      and, in the same rounds, a second model server scoring with onnxruntime only
 *      (SLIPWAY_SERVE_LINEAR_SCORER=onnxruntime): the figure before the TypeScript linear scorer
 *   3. 500 requests/s while the admin API changes weights, promotes, rolls back and switches
 *      the canary version: every response must be 2xx
 * All traffic stays on 127.0.0.1; every phase is bounded in requests and time.
 * Usage: npm run bench:serving [-- --seconds <each peak, default 8>]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { createAgent, sendJson } from '../tools/http-json';
import { loadFlightTraffic, replayTraffic, type FlightTraffic, type ReplayReport } from '../tools/replay-traffic';
import { stopServer, type ServerProcess } from '../src/serving/server-process';
import { arg, cpuSeconds, machineLine, peak as peakRun, predictRequests, spawnBareFastify, startSplitServer, stopFloor, trainFlightVersions, type BareFastify } from './support/serving-bench';

const MODEL = 'flight-delay';
const TOKEN = randomBytes(32).toString('hex');
const TARGET_P99_MS = 5;
const TARGET_RATIO = 0.6;
const ms = (v: number | null | undefined) => (v == null ? 'n/a' : `${v.toFixed(2)} ms`);

/** Closed-loop peak: `connections` keep one request each in flight for `seconds`. */
async function peak(base: string, traffic: FlightTraffic, seconds: number, connections = 16): Promise<{ rps: number; p99: number; non2xx: number; errors: number }> {
  const r = await peakRun(base, predictRequests(MODEL, traffic.rows), { seconds, connections });
  return { rps: r.rps, p99: r.p99, non2xx: r.non2xx, errors: r.errors };
}

async function main(): Promise<void> {
  const peakSeconds = Number(arg('seconds', '8'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-serving-'));
  const registryPath = path.join(dir, 'registry.sqlite');
  const artifactRoot = path.join(dir, 'artifacts');
  let server: ServerProcess | undefined;
  let ortServer: ServerProcess | undefined;
  let bare: BareFastify | undefined;
  const agent = createAgent(4);
  try {
    console.log(`machine: ${machineLine()}`);
    const registry = new SqliteModelRegistry({ path: registryPath });
    const [v1, v2, v3] = await trainFlightVersions(dir, registry, new LocalArtifactStore({ root: artifactRoot }), { model: MODEL, seeds: [1, 2, 3], keyPrefix: 'bench' });
    await registry.close();
    const traffic = await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-22', limit: 25_000 });
    console.log(`models: versions ${v1}, ${v2}, ${v3} (built-in trainer, a week of flights); traffic: ${traffic.rows.length} held-out flights`);

    const split = [{ version: v1, weight: 90 }, { version: v2, weight: 10 }];
    const splitOptions = { model: MODEL, split, agent, adminToken: TOKEN };
    server = await startSplitServer({
      SLIPWAY_DATA_DIR: dir,
      SLIPWAY_REGISTRY_PATH: registryPath,
      SLIPWAY_ARTIFACT_ROOT: artifactRoot,
      SLIPWAY_SERVE_ADMIN_TOKEN: TOKEN,
      // The rate limiter stays on (its cost is part of the figure) with a limit the bench never reaches.
      SLIPWAY_SERVE_RATE_LIMIT: '1000000',
    }, { name: 'model server', ...splitOptions });
    // The same models and split, every one scored by onnxruntime: the before figure, in the same run.
    ortServer = await startSplitServer({
      SLIPWAY_DATA_DIR: dir,
      SLIPWAY_REGISTRY_PATH: registryPath,
      SLIPWAY_ARTIFACT_ROOT: artifactRoot,
      SLIPWAY_SERVE_STATE_PATH: path.join(dir, 'ort-serving', 'deployments.json'),
      SLIPWAY_SERVE_ADMIN_TOKEN: TOKEN,
      SLIPWAY_SERVE_RATE_LIMIT: '1000000',
      SLIPWAY_SERVE_LINEAR_SCORER: 'onnxruntime',
    }, { name: 'onnxruntime-only server', ...splitOptions });
    bare = await spawnBareFastify();
    const admin = async (versions: { version: number; weight: number }[]) => {
      const started = performance.now();
      const res = await sendJson(agent, new URL(`/admin/v1/models/${MODEL}/deployment`, server!.base), { versions }, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` } });
      if (res.status !== 200) throw new Error(`PUT deployment ${JSON.stringify(versions)} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return { ms: performance.now() - started, revision: (res.body as { deployment: { revision: number } }).deployment.revision };
    };
    const subset = (n: number, offset = 0): FlightTraffic => ({ rows: traffic.rows.slice(offset, offset + n), labels: traffic.labels.slice(offset, offset + n) });
    const replay = (rate: number, n: number, offset = 0, base = server!.base, onAnswer?: (ms: number, status: number) => void) =>
      replayTraffic({ baseUrl: base, model: MODEL, traffic: subset(n, offset), rate, feedbackDelayMs: -1, maxDurationMs: (n / rate) * 1000 + 30_000, onAnswer });

    // Warm-up: JIT, sockets, ONNX first runs.
    await replay(1000, 3000);
    await replay(1000, 3000, 0, ortServer.base);
    await autocannon({ url: bare.base, connections: 8, duration: 2, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ row: traffic.rows[0] }), requests: [{ path: `/v1/models/${MODEL}/predict` }] });

    // 1. Latency at a steady 1,000 requests/s: three 5-second rounds on the model server, each
    //    after 5 seconds of the same load on the floor, so both see the same machine.
    const since = Date.now();
    const steadyRounds: ReplayReport[] = [];
    const modelLatencies: number[] = [];
    const bareLatencies: number[] = [];
    let bareCpu = 0;
    let modelCpu = 0;
    for (let round = 0; round < 3; round++) {
      let cpu = cpuSeconds(bare.child.pid);
      await replay(1000, 5000, 3000 + round * 5000, bare.base, (ms) => bareLatencies.push(ms));
      bareCpu += cpuSeconds(bare.child.pid) - cpu;
      cpu = cpuSeconds(server.child.pid);
      steadyRounds.push(await replay(1000, 5000, 3000 + round * 5000, server.base, (ms) => modelLatencies.push(ms)));
      modelCpu += cpuSeconds(server.child.pid) - cpu;
    }
    const steady = mergeReports(steadyRounds);
    const stats = (await sendJson(agent, new URL(`/admin/v1/models/${MODEL}/stats?since=${since}`, server.base), undefined, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } })) as {
      body: { versions: { version: number; requests: number; latencyMs: { p50: number; p99: number } }[] };
    };

    // 2. Peak throughput, floor first, then the model server, then the floor again to bracket drift.
    //    Twice: 16 connections, then 64 (under more concurrency the model server's micro-batches
    //    grow); each side's peak is its better result.
    const levels = [];
    for (const connections of [16, 64]) {
      const a = await peak(bare.base, traffic, peakSeconds, connections);
      const m = await peak(server.base, traffic, peakSeconds, connections);
      const o = await peak(ortServer.base, traffic, peakSeconds, connections);
      const b = await peak(bare.base, traffic, peakSeconds, connections);
      levels.push({ connections, bareA: a, bareB: b, bareRps: (a.rps + b.rps) / 2, modelPeak: m, ortPeak: o });
    }
    const best = levels.reduce((x, y) => (y.modelPeak.rps > x.modelPeak.rps ? y : x));
    const { bareA, bareB, modelPeak } = best;
    const bareRps = Math.max(...levels.map((l) => l.bareRps));

    // 3. 500 requests/s across weight changes, a promotion, a rollback and a version switch.
    const changes: { what: string; ms: number; revision: number }[] = [];
    const switching = replay(500, 6000, 18_000);
    const steps: [string, { version: number; weight: number }[]][] = [
      ['weights 90/10 → 50/50', [{ version: v1, weight: 50 }, { version: v2, weight: 50 }]],
      [`promote v${v2} (100%)`, [{ version: v2, weight: 100 }]],
      [`roll back to v${v1} (100%)`, [{ version: v1, weight: 100 }]],
      [`switch canary to v${v3} (90/10)`, [{ version: v1, weight: 90 }, { version: v3, weight: 10 }]],
      ['weights 90/10 → 75/25', [{ version: v1, weight: 75 }, { version: v3, weight: 25 }]],
    ];
    for (const [what, versions] of steps) {
      await new Promise((resolve) => setTimeout(resolve, 1800));
      changes.push({ what, ...(await admin(versions)) });
    }
    const switched = await switching;

    printReport({ cpuPerRequestUs: { model: (modelCpu / 15_000) * 1e6, bare: (bareCpu / 15_000) * 1e6 }, steady, modelLatency: percentiles(modelLatencies), bareLatency: percentiles(bareLatencies), stats: stats.body, bareA, bareB, bareRps, modelPeak, levels, peakSeconds, switched, changes });
  } finally {
    agent.destroy();
    if (server) await stopServer(server);
    if (ortServer) await stopServer(ortServer);
    if (bare) await stopFloor(bare);
    await rm(dir, { recursive: true, force: true });
  }
}

function percentiles(values: number[]): { p50: number; p90: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: sorted[sorted.length - 1] };
}

function mergeReports(reports: ReplayReport[]): ReplayReport {
  const add = (into: Record<string, number>, from: Record<string, number>) => Object.entries(from).forEach(([k, v]) => (into[k] = (into[k] ?? 0) + v));
  const statuses: Record<string, number> = {};
  const versions: Record<string, number> = {};
  reports.forEach((r) => (add(statuses, r.statuses), add(versions, r.versions)));
  const sent = reports.reduce((n, r) => n + r.sent, 0);
  const seconds = reports.reduce((n, r) => n + r.seconds, 0);
  return { sent, seconds, achievedRate: reports.reduce((n, r) => n + r.achievedRate * r.seconds, 0) / seconds, statuses, errors: reports.flatMap((r) => r.errors).slice(0, 5), versions, latencyMs: null, feedback: { sent: 0, statuses: {} } };
}

type Percentiles = ReturnType<typeof percentiles>;

function printReport(r: {
  cpuPerRequestUs: { model: number; bare: number };
  peakSeconds: number;
  steady: ReplayReport;
  modelLatency: Percentiles;
  bareLatency: Percentiles;
  stats?: { versions: { version: number; requests: number; latencyMs: { p50: number; p99: number } }[] };
  bareA: { rps: number };
  bareB: { rps: number };
  bareRps: number;
  modelPeak: { rps: number; p99: number; non2xx: number; errors: number };
  levels: { connections: number; bareRps: number; modelPeak: { rps: number; p99: number; non2xx: number }; ortPeak: { rps: number; p99: number; non2xx: number } }[];
  switched: ReplayReport;
  changes: { what: string; ms: number; revision: number }[];
}): void {
  const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
  const counts = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(', ');
  const p99 = r.modelLatency.p99;
  const ratio = r.modelPeak.rps / r.bareRps;
  const non2xx = Object.entries(r.switched.statuses).filter(([s]) => !/^2\d\d$/.test(s)).reduce((n, [, c]) => n + c, 0);
  console.log('\nServing benchmark — canary split 90/10, single-row predictions of real held-out flights');
  const line = (p: Percentiles) => `${ms(p.p50)} / ${ms(p.p90)} / ${ms(p.p99)} / ${ms(p.max)}`;
  console.log('\n1. steady 1,000 requests/s (open loop, 3 × 5,000 requests, alternating with the floor)');
  console.log(`   achieved       ${r.steady.achievedRate.toFixed(1)} req/s; statuses ${counts(r.steady.statuses)}; versions ${counts(r.steady.versions)}`);
  console.log(`   model server   client p50/p90/p99/max  ${line(r.modelLatency)}   (target p99 ≤ ${TARGET_P99_MS} ms: ${verdict(p99 <= TARGET_P99_MS)})`);
  console.log(`   bare Fastify   client p50/p90/p99/max  ${line(r.bareLatency)}   (floor: same client, same rate, same moments)`);
  const cpu = r.cpuPerRequestUs;
  console.log(`   server CPU     ${cpu.model.toFixed(0)} µs per request (${(cpu.model / 10).toFixed(0)}% of a core at 1,000/s); bare Fastify ${cpu.bare.toFixed(0)} µs (${(cpu.bare / 10).toFixed(0)}%)`);
  for (const v of r.stats?.versions ?? []) {
    console.log(`   server v${v.version}: ${v.requests} requests, p50 ${ms(v.latencyMs.p50)}, p99 ${ms(v.latencyMs.p99)} (routing → answer, in the server)`);
  }
  console.log(`\n2. peak throughput (autocannon, 16 and 64 connections, ${r.peakSeconds} s each, floor before and after)`);
  for (const l of r.levels) {
    console.log(`   ${String(l.connections).padStart(2)} connections: bare Fastify ${l.bareRps.toFixed(0)} req/s, model server ${l.modelPeak.rps.toFixed(0)} req/s (p99 ${ms(l.modelPeak.p99)}, non-2xx ${l.modelPeak.non2xx}) = ${((l.modelPeak.rps / l.bareRps) * 100).toFixed(1)}%`);
    console.log(`                   before: onnxruntime-only server ${l.ortPeak.rps.toFixed(0)} req/s (p99 ${ms(l.ortPeak.p99)}, non-2xx ${l.ortPeak.non2xx}) = ${((l.ortPeak.rps / l.bareRps) * 100).toFixed(1)}%`);
  }
  console.log(`   peaks                  model server ${r.modelPeak.rps.toFixed(0)} req/s, bare Fastify ${r.bareRps.toFixed(0)} req/s (each its best level)`);
  console.log(`   ratio                  ${(ratio * 100).toFixed(1)}% of bare Fastify   (target ≥ ${TARGET_RATIO * 100}%: ${verdict(ratio >= TARGET_RATIO)})`);
  console.log('\n3. 500 requests/s across admin changes (6,000 requests)');
  for (const c of r.changes) console.log(`   ${c.what.padEnd(34)} PUT took ${ms(c.ms)} → revision ${c.revision}`);
  console.log(`   achieved       ${r.switched.achievedRate.toFixed(1)} req/s; statuses ${counts(r.switched.statuses)}; versions ${counts(r.switched.versions)}`);
  console.log(`   client p50/p99 ${ms(r.switched.latencyMs?.p50)} / ${ms(r.switched.latencyMs?.p99)}`);
  console.log(`   non-2xx or failed: ${non2xx}   (target 0: ${verdict(non2xx === 0)})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
