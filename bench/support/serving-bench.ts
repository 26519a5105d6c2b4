/**
 * What the serving benchmarks (bench/serving.ts, bench/serving-trust.ts, bench/serving-perf.ts)
 * share: command-line options, models trained on a week of flights, model servers started with a
 * canary split, the bare Fastify floor, a baseline tree to compare against, and closed-loop peaks
 * with the server's own CPU per request.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { ArtifactStore } from '../../src/artifacts/artifact-store';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../../src/data/flights-window';
import type { ModelRegistry } from '../../src/registry/model-registry';
import { spawnServer, stopServer, type ServerProcess } from '../../src/serving/server-process';
import { runBuiltinTrainer } from '../../src/training/builtin-trainer';
import { sendJson } from '../../tools/http-json';

/** The repository root (this tree). */
export const ROOT = path.join(__dirname, '..', '..');

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** Cores and load average: printed first, so every figure is read against how busy the machine was. */
export function machineLine(): string {
  return `${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `items` rotated by `round`, so drift in the machine's load favours no side (two sides: alternating). */
export function rotate<T>(items: readonly T[], round: number): T[] {
  return items.map((_, i, all) => all[(i + round) % all.length]);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; NaN elsewhere). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * Trains one built-in model a seed on 2001-03-01..08 and registers each as a version of `model`.
 * @returns the registered versions, in the order of `seeds`
 */
export async function trainFlightVersions(
  dir: string,
  registry: Pick<ModelRegistry, 'registerVersion'>,
  store: ArtifactStore,
  options: { model: string; seeds: number[]; keyPrefix: string },
): Promise<number[]> {
  const trainPath = path.join(dir, 'train.parquet');
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-08');
  const versions: number[] = [];
  for (const seed of options.seeds) {
    const { modelPath } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 2, seed }, outputDir: path.join(dir, `model-${seed}`) });
    const artifact = await store.put(modelPath, { name: 'model', mediaType: 'application/onnx' });
    const v = await registry.registerVersion({
      model: options.model,
      idempotencyKey: `${options.keyPrefix}/${seed}`,
      artifact,
      metrics: {},
      params: { epochs: 2, seed },
      lineage: { dataDigest: artifact.sha256, specDigest: 'bench', workflowId: 'bench', runId: 'bench', pipeline: 'bench', trainer: 'builtin' },
    });
    versions.push(v.version);
  }
  return versions;
}

/** Options of {@link startSplitServer}. */
export interface SplitServerOptions {
  /** Names the server in errors. */
  name: string;
  model: string;
  /** The deployment PUT once the server listens. */
  split: { version: number; weight: number }[];
  agent: http.Agent;
  adminToken: string;
  /** Another build's `src/serving/main.ts` (a baseline); @default this tree's */
  entry?: string;
  /** @default 60_000 */
  timeoutMs?: number;
}

/** A model server process with `env`, serving `split` of `model`; stopped again if the deployment is refused. */
export async function startSplitServer(env: Record<string, string>, options: SplitServerOptions): Promise<ServerProcess> {
  const server = await spawnServer(env, options.timeoutMs ?? 60_000, options.entry);
  const res = await sendJson(options.agent, new URL(`/admin/v1/models/${options.model}/deployment`, server.base), { versions: options.split }, {
    method: 'PUT',
    headers: { authorization: `Bearer ${options.adminToken}` },
  });
  if (res.status !== 200) {
    await stopServer(server);
    throw new Error(`${options.name}: PUT deployment answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return server;
}

/** The server code at git `ref`, runnable: src, package.json and tsconfig from git, node_modules linked. */
export async function checkoutBaseline(ref: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tar = execFileSync('git', ['archive', '--format=tar', ref, 'src', 'package.json', 'tsconfig.json'], { cwd: ROOT, maxBuffer: 1 << 28 });
  await writeFile(path.join(dir, 'src.tar'), tar);
  execFileSync('tar', ['-xf', 'src.tar'], { cwd: dir });
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'src', 'serving', 'main.ts');
}

/** A floor process (bench/floors/*.ts) and what it printed when it listened. */
export interface Floor<T> {
  child: ChildProcess;
  listening: T;
}

/** Runs `bench/floors/<file>` and waits for its JSON line whose `msg` is `marker`. */
async function spawnFloor<T>(file: string, marker: string): Promise<Floor<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'floors', file)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes(marker)) resolve(JSON.parse(line) as T);
    });
  });
  return { child, listening };
}

/** The floor process: bare Fastify answering constant JSON (bench/floors/bare-fastify.ts). */
export interface BareFastify {
  child: ChildProcess;
  base: string;
}

export async function spawnBareFastify(): Promise<BareFastify> {
  const { child, listening } = await spawnFloor<{ address: string }>('bare-fastify.ts', 'bare fastify listening');
  return { child, base: listening.address };
}

/** The gRPC floor: bare @grpc/grpc-js answering ModelInfer with a constant response (bench/floors/bare-grpc.ts). */
export async function spawnBareGrpc(): Promise<{ child: ChildProcess; port: number }> {
  const { child, listening } = await spawnFloor<{ port: number }>('bare-grpc.ts', 'bare grpc listening');
  return { child, port: listening.port };
}

/** SIGTERM to a floor process, then waits for its exit. */
export async function stopFloor(floor: { child: ChildProcess }): Promise<void> {
  if (floor.child.exitCode !== null || floor.child.signalCode !== null) return;
  const exited = once(floor.child, 'exit');
  floor.child.kill('SIGTERM');
  await exited;
}

type Request = { method: 'POST'; path: string; headers: Record<string, string>; body: string };

/**
 * Single-row `/v1` predictions of the first 500 rows, for autocannon to cycle through.
 * @param options.routingKeys give request i the routing key `caller-${i % 200}`
 */
export function predictRequests(model: string, rows: Record<string, unknown>[], options: { headers?: Record<string, string>; routingKeys?: boolean } = {}): Request[] {
  return rows.slice(0, 500).map((row, i) => ({
    method: 'POST' as const,
    path: `/v1/models/${model}/predict`,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(options.routingKeys ? { row, routingKey: `caller-${i % 200}` } : { row }),
  }));
}

/** One closed-loop run's figures; each benchmark derives its own rate and CPU per request from them. */
export interface PeakRun {
  /** autocannon's mean of its one-second samples of requests answered. */
  rps: number;
  p99: number;
  /** Requests answered (any status), 2xx answers, and the run's length in seconds. */
  total: number;
  ok: number;
  seconds: number;
  non2xx: number;
  errors: number;
  /** CPU seconds the process `pid` used during the run (NaN without one). */
  cpuSeconds: number;
}

/**
 * Closed-loop peak: `connections` keep one request each in flight for `seconds` (or until
 * `amount` requests were sent), cycling `requests`.
 */
export async function peak(url: string, requests: Request[], options: { seconds: number; amount?: number; connections?: number; pid?: number }): Promise<PeakRun> {
  const cpuBefore = cpuSeconds(options.pid);
  const r = await autocannon({ url, connections: options.connections ?? 16, ...(options.amount ? { amount: options.amount } : { duration: options.seconds }), requests });
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    total: r.requests.total,
    ok: r['2xx'],
    seconds: r.duration,
    non2xx: r.non2xx,
    errors: r.errors,
    cpuSeconds: cpuSeconds(options.pid) - cpuBefore,
  };
}
