/**
 * Benchmark: the model server's hot paths against the same server before this work, in the same
 * run. Two model servers (this tree, and `--baseline <ref>` extracted with `git archive` and run
 * from the same node_modules) serve the same 90/10 split of two models trained on a week of
 * flights, with gRPC on; a bare Fastify process answers constant JSON (issue #18's floor).
 * Closed-loop peaks (autocannon for REST, ghz for gRPC, each held to one core: autocannon is one
 * Node thread, and ghz on both cores took CPU from the server it measured), rounds alternating
 * which server goes first, each figure with the server's CPU per request (from /proc, steadier
 * than throughput on a shared machine). Before the rounds each server answers `--fill` /v1
 * requests (default 165,000: its feedback ledger's byte cap at single-row predictions), so every
 * path is measured in a busy server's steady state and none gains from a ledger the others filled:
 *   v1      `/v1/models/:name/predict`, 16 connections
 *   oip     `/v2/models/:name/infer` with JSON tensors, 16 connections (and 64: `oip64`)
 *   grpc    `ModelInfer` from ghz, 16 connections × 1 call in flight (bench:oip's setting), and
 *           `grpc64`: 16 connections × 4 calls in flight, HTTP/2's streams, against `oip64`
 *   floors  bare Fastify answering constant JSON (/v1's floor), and the same process answering a
 *           constant OIP response to the OIP bodies (what the protocol's larger request and response
 *           cost with nothing behind them); bare grpc-js answering ModelInfer
 *           with a constant response (bench/floors/bare-grpc.ts): the gRPC path's ceiling here
 * Prints the issue's ratios for both servers: /v1 ÷ bare Fastify (target ≥ 60%), OIP REST ÷ /v1
 * (≥ 90%), gRPC ÷ OIP REST (≥ 100%).
 * Usage: npm run bench:serving-perf [-- --baseline <ref> --rounds 2 --seconds 5 --fill 165000]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { stopServer, type ServerProcess } from '../src/serving/server-process';
import { createAgent, sendJson } from '../tools/http-json';
import { loadFlightTraffic } from '../tools/replay-traffic';
import { arg, checkoutBaseline, cpuSeconds, machineLine, peak, predictRequests, ROOT, rotate, spawnBareFastify, spawnBareGrpc, startSplitServer, stopFloor, trainFlightVersions, type BareFastify } from './support/serving-bench';

const MODEL = 'flight-delay';
const TOKEN = randomBytes(32).toString('hex');
const PROTO = path.join(ROOT, 'src', 'serving', 'grpc', 'grpc_predict_v2.proto');
const run = promisify(execFile);

type Path = 'v1' | 'oip' | 'grpc' | 'oip64' | 'grpc64';
type Floor = 'bare' | 'bareOip' | 'bareGrpc' | 'bareGrpc64';
interface Target {
  name: 'before' | 'after';
  server: ServerProcess;
  grpcPort: number;
}
interface Figure {
  rps: number;
  cpuUs: number;
  failed: number;
}

async function trainVersions(dir: string): Promise<void> {
  const registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
  await trainFlightVersions(dir, registry, new LocalArtifactStore({ root: path.join(dir, 'artifacts') }), { model: MODEL, seeds: [1, 2], keyPrefix: 'bench-serving-perf' });
  await registry.close();
}

async function main(): Promise<void> {
  const baseline = arg('baseline', '457a972');
  const rounds = Number(arg('rounds', '2'));
  const seconds = Number(arg('seconds', '5'));
  const fill = Number(arg('fill', '165000'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-serving-perf-'));
  const targets: Target[] = [];
  let bare: BareFastify | undefined;
  let bareGrpc: Awaited<ReturnType<typeof spawnBareGrpc>> | undefined;
  const admin = createAgent(2);
  try {
    console.log(`machine: ${machineLine()}; baseline ${baseline}`);
    await trainVersions(dir);
    const entry = await checkoutBaseline(baseline, path.join(dir, 'baseline'));
    for (const name of ['before', 'after'] as const) {
      const grpcPort = 20_000 + Math.floor(Math.random() * 20_000);
      const env = {
        SLIPWAY_DATA_DIR: dir,
        SLIPWAY_REGISTRY_PATH: path.join(dir, 'registry.sqlite'),
        SLIPWAY_ARTIFACT_ROOT: path.join(dir, 'artifacts'),
        SLIPWAY_SERVE_STATE_PATH: path.join(dir, name, 'deployments.json'),
        SLIPWAY_SERVE_ADMIN_TOKEN: TOKEN,
        // The rate limiter stays on (its cost is in every figure), never reached.
        SLIPWAY_SERVE_RATE_LIMIT: '1000000',
        SLIPWAY_SERVE_GRPC_PORT: String(grpcPort),
      };
      const split = [{ version: 1, weight: 90 }, { version: 2, weight: 10 }];
      const server = await startSplitServer(env, { name, model: MODEL, split, agent: admin, adminToken: TOKEN, ...(name === 'before' && { entry }) });
      targets.push({ name, server, grpcPort });
    }
    bare = await spawnBareFastify();
    bareGrpc = await spawnBareGrpc();
    const meta = (await sendJson(admin, new URL(`/v2/models/${MODEL}`, targets[1].server.base), undefined, { method: 'GET' })).body as { inputs: { name: string; datatype: string }[] };
    const traffic = await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-22', limit: 2000 });
    // JSON tensors cannot carry a missing value: rows with one are left out of every path alike.
    const rows = traffic.rows.filter((row) => meta.inputs.every((i) => row[i.name] != null)).slice(0, 500);
    const v1 = predictRequests(MODEL, rows);
    const oip = rows.map((row) => ({
      method: 'POST' as const,
      path: `/v2/models/${MODEL}/infer`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: meta.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [1, 1], data: [row[i.name]] })) }),
    }));
    const grpcData = path.join(dir, 'grpc.json');
    await writeFile(
      grpcData,
      JSON.stringify(
        rows.map((row) => ({
          model_name: MODEL,
          inputs: meta.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [1, 1], contents: i.datatype === 'BYTES' ? { bytes_contents: [Buffer.from(String(row[i.name])).toString('base64')] } : { fp32_contents: [Number(row[i.name])] } })),
        })),
      ),
    );
    const ghz = (await run(path.join(ROOT, 'scripts', 'ghz.sh'))).stdout.trim();

    const measure = async (p: Path | Floor, t: Target | undefined, secs: number): Promise<Figure> => {
      const pid = t ? t.server.child.pid : p === 'bare' || p === 'bareOip' ? bare!.child.pid : bareGrpc!.child.pid;
      if (p === 'grpc' || p === 'grpc64' || p === 'bareGrpc' || p === 'bareGrpc64') {
        const c = p === 'grpc' || p === 'bareGrpc' ? '16' : '64';
        const port = t ? t.grpcPort : bareGrpc!.port;
        const cpu0 = cpuSeconds(pid);
        const { stdout } = await run(ghz, ['--insecure', '--proto', PROTO, '--call', 'inference.GRPCInferenceService.ModelInfer', '-D', grpcData, '-c', c, '--connections', '16', '-z', `${secs}s`, '--cpus', '1', '-O', 'json', `127.0.0.1:${port}`], { maxBuffer: 64 << 20 });
        const r = JSON.parse(stdout) as { total: number; statusCodeDistribution: Record<string, number> };
        const ok = r.statusCodeDistribution.OK ?? 0;
        // Calls cut by the end of the duration come back Unavailable/Canceled: not failures.
        const failed = Object.entries(r.statusCodeDistribution).filter(([k]) => !['OK', 'Unavailable', 'Canceled'].includes(k)).reduce((n, [, v]) => n + v, 0);
        return { rps: ok / (r.total / 1e9), cpuUs: ((cpuSeconds(pid) - cpu0) / Math.max(ok, 1)) * 1e6, failed };
      }
      const requests = p === 'v1' || p === 'bare' ? v1 : oip;
      const r = await peak(t ? t.server.base : bare!.base, requests, { seconds: secs, connections: p === 'oip64' ? 64 : 16, pid });
      return { rps: r.ok / r.seconds, cpuUs: (r.cpuSeconds / Math.max(r.ok, 1)) * 1e6, failed: r.non2xx + r.errors };
    };

    // Warm-up: JIT, sockets, first runs, every path on both servers.
    for (const t of targets) for (const p of ['v1', 'oip', 'grpc'] as Path[]) await measure(p, t, 2);
    await measure('bare', undefined, 2);
    await measure('bareOip', undefined, 2);
    await measure('bareGrpc', undefined, 2);
    if (fill > 0) for (const t of targets) await peak(t.server.base, v1, { seconds: 0, amount: fill, connections: 16 });

    const paths: Path[] = ['v1', 'oip', 'grpc', 'oip64', 'grpc64'];
    const figures = new Map<string, Figure[]>();
    const add = (key: string, f: Figure) => figures.set(key, [...(figures.get(key) ?? []), f]);
    for (let round = 0; round < rounds; round++) {
      for (const f of rotate(['bare', 'bareOip'] as const, round)) add(f, await measure(f, undefined, seconds));
      for (const f of ['bareGrpc', 'bareGrpc64'] as const) add(f, await measure(f, undefined, seconds));
      for (const p of paths) {
        const order = rotate(targets, round);
        for (const t of order) add(`${t.name}:${p}`, await measure(p, t, seconds));
      }
    }
    add('bare', await measure('bare', undefined, seconds));

    const mean = (key: string, f: (x: Figure) => number) => {
      const xs = figures.get(key) ?? [];
      return xs.reduce((a, x) => a + f(x), 0) / xs.length;
    };
    const rps = (key: string) => mean(key, (x) => x.rps);
    const cpu = (key: string) => mean(key, (x) => x.cpuUs);
    const failed = [...figures.values()].flat().reduce((n, x) => n + x.failed, 0);
    console.log(`\nHot paths, before (${baseline}) and after (this tree), ${rounds} rounds of ${seconds} s, alternating; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`   ledger filled with ${fill} /v1 requests a server before the rounds`);
    const floorLine = (key: Floor) => `${(figures.get(key) ?? []).map((x) => x.rps.toFixed(0)).join(' / ')} req/s → mean ${rps(key).toFixed(0)}, ${cpu(key).toFixed(0)} µs CPU/request`;
    console.log(`   bare Fastify (floor)  ${floorLine('bare')}`);
    console.log(`   bare Fastify, OIP bodies (the protocol's own cost)  ${floorLine('bareOip')}`);
    console.log(`   bare grpc-js (floor)  ${floorLine('bareGrpc')}; 64 in flight ${floorLine('bareGrpc64')}`);
    for (const p of paths) {
      const line = (name: string) => `${(figures.get(`${name}:${p}`) ?? []).map((x) => x.rps.toFixed(0)).join(' / ')} req/s (mean ${rps(`${name}:${p}`).toFixed(0)}, ${cpu(`${name}:${p}`).toFixed(0)} µs CPU/req)`;
      console.log(`   ${p.padEnd(7)} before ${line('before')}   after ${line('after')}   after/before ${((rps(`after:${p}`) / rps(`before:${p}`)) * 100).toFixed(1)}%`);
    }
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
    for (const name of ['before', 'after']) {
      const r = (p: Path) => rps(`${name}:${p}`);
      console.log(
        `   ${name.padEnd(6)} /v1 ÷ bare ${pct(r('v1'), rps('bare'))} (target ≥ 60%)   OIP ÷ /v1 ${pct(r('oip'), r('v1'))} (≥ 90%)   gRPC ÷ OIP ${pct(r('grpc'), r('oip'))} at 16 in flight, ${pct(r('grpc64'), r('oip64'))} at 64 (≥ 100%)`,
      );
    }
    console.log(
      `   bare Fastify, OIP ÷ /v1 bodies: ${pct(rps('bareOip'), rps('bare'))} (${cpu('bareOip').toFixed(1)} vs ${cpu('bare').toFixed(1)} µs CPU/request): what the larger OIP request and response cost with nothing behind them`,
    );
    console.log(
      `   OIP REST's CPU beyond /v1's, per request: this tree ${(cpu('after:oip') - cpu('after:v1')).toFixed(1)} µs, of which the bare protocol bytes ${(cpu('bareOip') - cpu('bare')).toFixed(1)} µs`,
    );
    const ceiling = (p: 'oip' | 'oip64', f: Floor) => pct(rps(f), rps(`after:${p}`));
    console.log(`   bare grpc-js ÷ this tree's OIP REST: ${ceiling('oip', 'bareGrpc')} at 16 in flight, ${ceiling('oip64', 'bareGrpc64')} at 64 (below 100%: grpc-js alone answers fewer calls than the whole REST path)`);
    console.log(`   failed requests (non-2xx, errors, gRPC errors): ${failed}`);
  } finally {
    admin.destroy();
    for (const t of targets) await stopServer(t.server);
    if (bare) await stopFloor(bare);
    if (bareGrpc) await stopFloor(bareGrpc);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
