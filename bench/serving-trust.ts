/**
 * Benchmark: what the model server's trust boundary costs on the hot path. Peak `/predict`
 * throughput (autocannon, closed loop, single-row requests with routing keys over a 90/10
 * canary split of two real models) of
 *   - this server, with authenticated feedback (a labeler token configured, labels refused
 *     without one), salted routing, address-keyed rate limits and byte-bounded memory, against
 *   - the floor: the model server as it was before (`--baseline <git ref>`, default d100f3e,
 *     the commit before this work), extracted with `git archive` and run from the same
 *     node_modules, on the same registry, models and requests, in the same run,
 * alternating rounds so both see the same machine. Also, for information: this server with
 * SLIPWAY_SERVE_PREDICT_AUTH on (a registry token on every prediction).
 * A second phase builds both servers in this one process and drives them with Fastify's
 * `inject` in alternating blocks: no sockets and no other process in the loop, so the CPU per
 * request it reports is far less sensitive to a busy machine than peak throughput.
 * Usage: npm run bench:serving-trust [-- --baseline <ref>] [--rounds <n>] [--seconds <peak s>] [--phase inject]
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { openGovernance } from '../src/registry/create-registry';
import { createAgent, sendJson } from '../tools/http-json';
import { loadFlightTraffic, type FlightTraffic } from '../tools/replay-traffic';
import { stopServer, type ServerProcess } from '../src/serving/server-process';
import { arg, checkoutBaseline, machineLine, mean, median, peak as peakRun, predictRequests, ROOT, rotate, startSplitServer, trainFlightVersions } from './support/serving-bench';

const MODEL = 'flight-delay';
// Random, as the other serving benches: the server refuses short or guessable tokens at start-up.
const ADMIN = randomBytes(32).toString('hex');
const LABELER = randomBytes(32).toString('hex');
const TARGET_RATIO = 0.95;

/**
 * Closed-loop peak against `server`: requests/s, and the server's CPU microseconds per answered
 * request (robust to other processes taking the cores: it counts only this server's own work).
 */
async function peak(server: ServerProcess, traffic: FlightTraffic, seconds: number, headers: Record<string, string> = {}): Promise<{ rps: number; cpuUs: number; non2xx: number; errors: number }> {
  const r = await peakRun(server.base, predictRequests(MODEL, traffic.rows, { headers, routingKeys: true }), { seconds, pid: server.child.pid });
  return { rps: r.rps, cpuUs: (r.cpuSeconds / Math.max(1, r.total)) * 1e6, non2xx: r.non2xx, errors: r.errors };
}

const INJECT_BLOCK = 3000;

/** One model server built in this process from `srcRoot` (this tree or the baseline's). */
async function buildInProcess(srcRoot: string, registryPath: string, artifactRoot: string, statePath: string, labeler: boolean) {
  const m = (rel: string) => import(path.join(srcRoot, 'src', rel));
  const [{ buildModelServer }, { SqliteModelRegistry }, { LocalArtifactStore: Store }, { RegistryModelLoader }, { FileDeploymentStore }, { StaticTokenAuthenticator }] = await Promise.all([
    m('serving/model-server.ts'),
    m('registry/sqlite-registry.ts'),
    m('artifacts/local-artifact-store.ts'),
    m('serving/model-loader.ts'),
    m('serving/file-deployment-store.ts'),
    // The baseline's tree may predate the authenticator's move from api/ to auth/.
    m(existsSync(path.join(srcRoot, 'src', 'auth', 'authenticator.ts')) ? 'auth/authenticator.ts' : 'api/authenticator.ts'),
  ]);
  const registry = new SqliteModelRegistry({ path: registryPath });
  const tokens = [{ name: 'admin', token: ADMIN }, ...(labeler ? [{ name: 'labeler', token: LABELER, roles: ['labeler'], grants: [{ model: '*', alias: '*' }] }] : [])];
  const server = await buildModelServer({
    loader: new RegistryModelLoader(registry, new Store({ root: artifactRoot })),
    store: new FileDeploymentStore(statePath),
    adminAuthenticator: new StaticTokenAuthenticator(tokens),
    limits: { rateLimitPerSecond: 1_000_000 },
    processMetrics: false,
  });
  return { app: server.app as FastifyInstance, close: async () => { await server.app.close(); await registry.close(); } };
}

/** Median server CPU per request (µs) of each side, driven by `inject` in alternating blocks. */
async function injectPhase(baselineRoot: string, dir: string, registryPath: string, artifactRoot: string, versions: number[], traffic: FlightTraffic, rounds: number) {
  const sides = {
    baseline: await buildInProcess(baselineRoot, registryPath, artifactRoot, path.join(dir, 'inject-baseline.json'), false),
    trusted: await buildInProcess(ROOT, registryPath, artifactRoot, path.join(dir, 'inject-trusted.json'), true),
  };
  try {
    const bodies = traffic.rows.slice(0, 500).map((row, i) => JSON.stringify({ row, routingKey: `caller-${i % 200}` }));
    for (const side of Object.values(sides)) {
      const res = await side.app.inject({ method: 'PUT', url: `/admin/v1/models/${MODEL}/deployment`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { versions: [{ version: versions[0], weight: 90 }, { version: versions[1], weight: 10 }] } });
      if (res.statusCode !== 200) throw new Error(`in-process PUT deployment answered ${res.statusCode}: ${res.body}`);
    }
    const block = async (app: FastifyInstance, n: number): Promise<number> => {
      let next = 0;
      let failed = 0;
      const started = process.cpuUsage();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < n) {
            const i = next++;
            const res = await app.inject({ method: 'POST', url: `/v1/models/${MODEL}/predict`, headers: { 'content-type': 'application/json' }, payload: bodies[i % bodies.length] });
            if (res.statusCode !== 200) failed++;
          }
        }),
      );
      if (failed > 0) throw new Error(`${failed} in-process predictions failed`);
      const used = process.cpuUsage(started);
      return (used.user + used.system) / n;
    };
    for (const side of Object.values(sides)) await block(side.app, 1000); // warm-up
    const cpu = { baseline: [] as number[], trusted: [] as number[] };
    for (let r = 0; r < rounds * 2; r++) {
      for (const name of r % 2 === 0 ? (['baseline', 'trusted'] as const) : (['trusted', 'baseline'] as const)) cpu[name].push(await block(sides[name].app, INJECT_BLOCK));
    }
    return { baseline: median(cpu.baseline), trusted: median(cpu.trusted) };
  } finally {
    for (const side of Object.values(sides)) await side.close();
  }
}

async function main(): Promise<void> {
  const baselineRef = arg('baseline', 'd100f3e');
  const rounds = Number(arg('rounds', '6'));
  const seconds = Number(arg('seconds', '5'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-trust-'));
  const servers: ServerProcess[] = [];
  const agent = createAgent(4);
  try {
    console.log(`machine: ${machineLine()}`);
    const registryPath = path.join(dir, 'registry.sqlite');
    const artifactRoot = path.join(dir, 'artifacts');
    const governance = await openGovernance({ registryPath });
    const store = new LocalArtifactStore({ root: artifactRoot });
    const versions = await trainFlightVersions(dir, governance.registry, store, { model: MODEL, seeds: [1, 2], keyPrefix: 'bench' });
    // A registry principal for the predict-auth variant: its token is looked up like any client's.
    const root = await governance.access.bootstrap({ admin: 'root' });
    const admin = (await governance.access.authenticate(root.token))!;
    await governance.access.setPrincipal({ name: 'client', roles: ['viewer'] }, admin);
    const clientToken = (await governance.access.createToken({ principal: 'client', label: 'bench' }, admin)).token;
    await governance.close();
    const traffic = await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-10', limit: 500 });

    const common = { SLIPWAY_DATA_DIR: dir, SLIPWAY_REGISTRY_PATH: registryPath, SLIPWAY_ARTIFACT_ROOT: artifactRoot, SLIPWAY_SERVE_ADMIN_TOKEN: ADMIN, SLIPWAY_SERVE_RATE_LIMIT: '1000000', SLIPWAY_LOG_LEVEL: 'warn' };
    const start = async (name: string, env: Record<string, string>, entry?: string) => {
      const split = [{ version: versions[0], weight: 90 }, { version: versions[1], weight: 10 }];
      const s = await startSplitServer({ ...common, SLIPWAY_LOG_LEVEL: 'info', SLIPWAY_SERVE_STATE_PATH: path.join(dir, `${name}.json`), ...env }, { name, model: MODEL, split, agent, adminToken: ADMIN, entry, timeoutMs: 120_000 });
      servers.push(s);
      return s;
    };
    const baselineEntry = await checkoutBaseline(baselineRef, path.join(dir, 'baseline'));
    const before = await start('baseline', {}, baselineEntry);
    const trusted = await start('trusted', { SLIPWAY_SERVE_LABELER_TOKEN: LABELER });
    const predictAuth = await start('predict-auth', { SLIPWAY_SERVE_LABELER_TOKEN: LABELER, SLIPWAY_SERVE_PREDICT_AUTH: 'true' });

    // The trusted server really refuses anonymous labels (else the comparison would be moot).
    const answer = await sendJson(agent, new URL(`/v1/models/${MODEL}/predict`, trusted.base), { row: traffic.rows[0] });
    const anonymous = await sendJson(agent, new URL(`/v1/models/${MODEL}/feedback`, trusted.base), { requestId: (answer.body as { requestId: string }).requestId, label: 1 });
    console.log(`trusted server: anonymous label answered ${anonymous.status}`);
    if (anonymous.status !== 401) throw new Error('the trusted server took an anonymous label');

    const auth = { authorization: `Bearer ${clientToken}` };
    for (const s of [before, trusted, predictAuth]) await peak(s, traffic, 2, s === predictAuth ? auth : {}); // warm-up
    const sides = { baseline: before, trusted, predictAuth } as const;
    const runs: Record<keyof typeof sides, { rps: number; cpuUs: number }[]> = { baseline: [], trusted: [], predictAuth: [] };
    let bad = 0;
    for (let r = 0; r < (arg('phase', 'all') === 'inject' ? 0 : rounds); r++) {
      // Rotate which side goes first, so drift in the machine's load favours none.
      const order = rotate(['baseline', 'trusted', 'predictAuth'] as const, r);
      const line: string[] = [];
      for (const side of order) {
        const p = await peak(sides[side], traffic, seconds, side === 'predictAuth' ? auth : {});
        runs[side].push(p);
        bad += p.non2xx + p.errors;
        line.push(`${side} ${p.rps.toFixed(0)} req/s ${p.cpuUs.toFixed(0)} µs CPU/req`);
      }
      console.log(`round ${r + 1}: ${line.join(', ')}`);
    }
    if (runs.baseline.length === 0) runs.baseline.push({ rps: NaN, cpuUs: NaN }), runs.trusted.push({ rps: NaN, cpuUs: NaN }), runs.predictAuth.push({ rps: NaN, cpuUs: NaN });
    const rps = (side: keyof typeof sides) => mean(runs[side].map((p) => p.rps));
    const cpu = (side: keyof typeof sides) => median(runs[side].map((p) => p.cpuUs));
    // Throughput on a shared 2-core machine swings with other processes; the server's own CPU per
    // request does not, and its inverse is the throughput the server would reach on a free core.
    const throughputRatio = rps('trusted') / rps('baseline');
    const cpuRatio = cpu('baseline') / cpu('trusted');
    console.log(`\npeak /predict, ${rounds} rounds of ${seconds} s per side, 16 connections, single rows, routing keys, 90/10 split:`);
    console.log(`  floor (baseline ${baselineRef}, open feedback):  ${rps('baseline').toFixed(0)} req/s mean, ${cpu('baseline').toFixed(0)} µs server CPU/request median`);
    console.log(`  authenticated feedback (this tree):             ${rps('trusted').toFixed(0)} req/s mean, ${cpu('trusted').toFixed(0)} µs server CPU/request median`);
    console.log(`     ratio to floor: throughput ${throughputRatio.toFixed(3)}, by CPU per request ${cpuRatio.toFixed(3)} (target ≥ ${TARGET_RATIO})`);
    console.log(`  + SLIPWAY_SERVE_PREDICT_AUTH (registry token):  ${rps('predictAuth').toFixed(0)} req/s, ${cpu('predictAuth').toFixed(0)} µs CPU/request; ratio by CPU ${(cpu('baseline') / cpu('predictAuth')).toFixed(3)} (information)`);
    console.log(`non-2xx or errors: ${bad}`);
    for (const s of servers.splice(0)) await stopServer(s);

    const inProcess = await injectPhase(path.join(dir, 'baseline'), dir, registryPath, artifactRoot, versions, traffic, rounds);
    console.log(`\nin-process (inject), ${rounds} alternating blocks of ${INJECT_BLOCK} requests per side, 16 in flight:`);
    console.log(`  floor (baseline):          ${inProcess.baseline.toFixed(1)} µs CPU/request median`);
    console.log(`  authenticated feedback:    ${inProcess.trusted.toFixed(1)} µs CPU/request median`);
    const injectRatio = inProcess.baseline / inProcess.trusted;
    console.log(`     ratio to floor (requests per CPU second): ${injectRatio.toFixed(3)} (target ≥ ${TARGET_RATIO})`);
    console.log(`\nverdict: throughput ${throughputRatio.toFixed(3)}, by process CPU ${cpuRatio.toFixed(3)}, in-process ${injectRatio.toFixed(3)} → ${injectRatio >= TARGET_RATIO ? 'PASS' : 'BELOW TARGET'} (judged on the in-process ratio)`);
  } finally {
    agent.destroy();
    for (const s of servers) await stopServer(s).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
