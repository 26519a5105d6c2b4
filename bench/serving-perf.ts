/**
 * Benchmark: the model server's hot paths against the same server before this work, in the same
 * run. Two model servers (this tree, and `--baseline <ref>` extracted with `git archive` and run
 * from the same node_modules) serve the same 90/10 split of two models trained on a week of
 * flights, with gRPC on; a bare Fastify process answers constant JSON (issue #18's floor).
 * Closed-loop peaks (autocannon for REST, ghz for gRPC), rounds alternating which server goes
 * first, each figure with the server's CPU per request (from /proc, steadier than throughput on
 * a shared machine):
 *   v1      `/v1/models/:name/predict`, 16 connections
 *   oip     `/v2/models/:name/infer` with JSON tensors, 16 connections (and 64: `oip64`)
 *   grpc    `ModelInfer` from ghz, 16 connections × 1 call in flight (bench:oip's setting), and
 *           `grpc64`: 16 connections × 4 calls in flight, HTTP/2's streams, against `oip64`
 * Prints the issue's ratios for both servers: /v1 ÷ bare Fastify (target ≥ 60%), OIP REST ÷ /v1
 * (≥ 90%), gRPC ÷ OIP REST (≥ 100%).
 * Usage: npm run bench:serving-perf [-- --baseline <ref> --rounds 2 --seconds 5]
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../src/data/flights-window';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { spawnServer, stopServer, type ServerProcess } from '../src/serving/server-process';
import { runBuiltinTrainer } from '../src/training/builtin-trainer';
import { createAgent, sendJson } from '../tools/http-json';
import { loadFlightTraffic } from '../tools/replay-traffic';

const ROOT = path.join(__dirname, '..');
const MODEL = 'flight-delay';
const TOKEN = randomBytes(32).toString('hex');
const PROTO = path.join(ROOT, 'src', 'serving', 'grpc', 'grpc_predict_v2.proto');
const run = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};

type Path = 'v1' | 'oip' | 'grpc' | 'oip64' | 'grpc64';
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

async function checkoutBaseline(ref: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tar = execFileSync('git', ['archive', '--format=tar', ref, 'src', 'package.json', 'tsconfig.json'], { cwd: ROOT, maxBuffer: 1 << 28 });
  await writeFile(path.join(dir, 'src.tar'), tar);
  execFileSync('tar', ['-xf', 'src.tar'], { cwd: dir });
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'src', 'serving', 'main.ts');
}

function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function trainVersions(dir: string): Promise<void> {
  const registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
  const store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  const trainPath = path.join(dir, 'train.parquet');
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-08');
  for (const seed of [1, 2]) {
    const { modelPath } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 2, seed }, outputDir: path.join(dir, `model-${seed}`) });
    const artifact = await store.put(modelPath, { name: 'model', mediaType: 'application/onnx' });
    await registry.registerVersion({
      model: MODEL,
      idempotencyKey: `bench-serving-perf/${seed}`,
      artifact,
      metrics: {},
      params: { epochs: 2, seed },
      lineage: { dataDigest: artifact.sha256, specDigest: 'bench', workflowId: 'bench', runId: 'bench', pipeline: 'bench', trainer: 'builtin' },
    });
  }
  await registry.close();
}

async function spawnBare(): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'floors', 'bare-fastify.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bare fastify exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('bare fastify listening')) resolve((JSON.parse(line) as { address: string }).address);
    });
  });
  return { child, base };
}

async function main(): Promise<void> {
  const baseline = arg('baseline', '457a972');
  const rounds = Number(arg('rounds', '2'));
  const seconds = Number(arg('seconds', '5'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-serving-perf-'));
  const targets: Target[] = [];
  let bare: Awaited<ReturnType<typeof spawnBare>> | undefined;
  const admin = createAgent(2);
  try {
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; baseline ${baseline}`);
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
      const server = name === 'before' ? await spawnServer(env, 60_000, entry) : await spawnServer(env);
      targets.push({ name, server, grpcPort });
      const put = await sendJson(admin, new URL(`/admin/v1/models/${MODEL}/deployment`, server.base), { versions: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }] }, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` } });
      if (put.status !== 200) throw new Error(`${name}: deployment answered ${put.status}: ${JSON.stringify(put.body)}`);
    }
    bare = await spawnBare();
    const meta = (await sendJson(admin, new URL(`/v2/models/${MODEL}`, targets[1].server.base), undefined, { method: 'GET' })).body as { inputs: { name: string; datatype: string }[] };
    const traffic = await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-22', limit: 2000 });
    // JSON tensors cannot carry a missing value: rows with one are left out of every path alike.
    const rows = traffic.rows.filter((row) => meta.inputs.every((i) => row[i.name] != null)).slice(0, 500);
    const v1 = rows.map((row) => ({ method: 'POST' as const, path: `/v1/models/${MODEL}/predict`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ row }) }));
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

    const measure = async (p: Path | 'bare', t: Target | undefined, secs: number): Promise<Figure> => {
      const pid = t ? t.server.child.pid : bare!.child.pid;
      const cpu0 = cpuSeconds(pid);
      let ok: number;
      let failed: number;
      let elapsed: number;
      if (p === 'grpc' || p === 'grpc64') {
        const c = p === 'grpc' ? '16' : '64';
        const { stdout } = await run(ghz, ['--insecure', '--proto', PROTO, '--call', 'inference.GRPCInferenceService.ModelInfer', '-D', grpcData, '-c', c, '--connections', '16', '-z', `${secs}s`, '-O', 'json', `127.0.0.1:${t!.grpcPort}`], { maxBuffer: 64 << 20 });
        const r = JSON.parse(stdout) as { total: number; statusCodeDistribution: Record<string, number> };
        ok = r.statusCodeDistribution.OK ?? 0;
        // Calls cut by the end of the duration come back Unavailable/Canceled: not failures.
        failed = Object.entries(r.statusCodeDistribution).filter(([k]) => !['OK', 'Unavailable', 'Canceled'].includes(k)).reduce((n, [, v]) => n + v, 0);
        elapsed = r.total / 1e9;
      } else {
        const connections = p === 'oip64' ? 64 : 16;
        const requests = p === 'v1' || p === 'bare' ? v1 : oip;
        const r = await autocannon({ url: t ? t.server.base : bare!.base, connections, duration: secs, requests });
        ok = r['2xx'];
        failed = r.non2xx + r.errors;
        elapsed = r.duration;
      }
      return { rps: ok / elapsed, cpuUs: ((cpuSeconds(pid) - cpu0) / Math.max(ok, 1)) * 1e6, failed };
    };

    // Warm-up: JIT, sockets, first runs, every path on both servers.
    for (const t of targets) for (const p of ['v1', 'oip', 'grpc'] as Path[]) await measure(p, t, 2);
    await measure('bare', undefined, 2);

    const paths: Path[] = ['v1', 'oip', 'grpc', 'oip64', 'grpc64'];
    const figures = new Map<string, Figure[]>();
    const add = (key: string, f: Figure) => figures.set(key, [...(figures.get(key) ?? []), f]);
    for (let round = 0; round < rounds; round++) {
      add('bare', await measure('bare', undefined, seconds));
      for (const p of paths) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) add(`${t.name}:${p}`, await measure(p, t, seconds));
      }
    }
    add('bare', await measure('bare', undefined, seconds));

    const mean = (key: string, f: (x: Figure) => number) => {
      const xs = figures.get(key) ?? [];
      return xs.reduce((a, x) => a + f(x), 0) / xs.length;
    };
    const rps = (key: string) => mean(key, (x) => x.rps);
    const failed = [...figures.values()].flat().reduce((n, x) => n + x.failed, 0);
    console.log(`\nHot paths, before (${baseline}) and after (this tree), ${rounds} rounds of ${seconds} s, alternating; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`   bare Fastify (floor)  ${(figures.get('bare') ?? []).map((x) => x.rps.toFixed(0)).join(' / ')} req/s → mean ${rps('bare').toFixed(0)}, ${mean('bare', (x) => x.cpuUs).toFixed(0)} µs CPU/request`);
    for (const p of paths) {
      const line = (name: string) => `${(figures.get(`${name}:${p}`) ?? []).map((x) => x.rps.toFixed(0)).join(' / ')} req/s (mean ${rps(`${name}:${p}`).toFixed(0)}, ${mean(`${name}:${p}`, (x) => x.cpuUs).toFixed(0)} µs CPU/req)`;
      console.log(`   ${p.padEnd(7)} before ${line('before')}   after ${line('after')}   after/before ${((rps(`after:${p}`) / rps(`before:${p}`)) * 100).toFixed(1)}%`);
    }
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
    for (const name of ['before', 'after']) {
      const r = (p: Path) => rps(`${name}:${p}`);
      console.log(
        `   ${name.padEnd(6)} /v1 ÷ bare ${pct(r('v1'), rps('bare'))} (target ≥ 60%)   OIP ÷ /v1 ${pct(r('oip'), r('v1'))} (≥ 90%)   gRPC ÷ OIP ${pct(r('grpc'), r('oip'))} at 16 in flight, ${pct(r('grpc64'), r('oip64'))} at 64 (≥ 100%)`,
      );
    }
    console.log(`   failed requests (non-2xx, errors, gRPC errors): ${failed}`);
  } finally {
    admin.destroy();
    for (const t of targets) await stopServer(t.server);
    if (bare) {
      const exited = once(bare.child, 'exit');
      bare.child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
