/**
 * Benchmark: 200 pipelines started at once through one worker (in this process) on a dev
 * server, every step the `noop` kind, so what is measured is Slipway's orchestration: spec
 * resolution, the task-queue lookup, step records, status and search attributes. Floor in the
 * same run: a plain Temporal workflow scheduling the same number of activities in sequence
 * (the pipeline's steps plus its resolvePipeline activity), on a plain Worker with the same
 * activity concurrency, started and awaited the same way. Batches run in pairs, floor-Slipway
 * then Slipway-floor, so drift in the machine's load (or the dev server slowing as its store
 * fills) weighs on both sides alike; on this 2-core machine one batch's wall time varies by a
 * third between identical batches, so the verdict is on all pairs pooled.
 * Usage: npm run bench:load [-- <pipelines> <steps> <pairs>]   (default 200 pipelines of 6 steps, 4 pairs)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { createLogger, installTemporalLogger } from '../src/logger';
import { createWorker } from '../src/worker';
import type { PipelineResult } from '../src/workflows/pipeline-status';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/workflows/search-attributes';

const root = path.join(__dirname, '..');
const PIPELINES = Number(process.argv[2] ?? 200);
const STEPS = Number(process.argv[3] ?? 6);
const PAIRS = Number(process.argv[4] ?? 4);
/** Same for both workers, so neither is held back by a lower limit. */
const ACTIVITY_CONCURRENCY = 100;

/** A chain of `STEPS` no-op steps: each hands its upstream references on. */
const NOOP_SPEC = {
  name: 'load-noop',
  model: 'load-noop',
  maxParallel: 1,
  steps: Array.from({ length: STEPS }, (_, i) => ({ id: `step-${i + 1}`, kind: 'noop', ...(i > 0 && { dependsOn: [`step-${i}`] }) })),
};

interface Batch {
  latenciesMs: number[];
  wallMs: number;
  /** CPU time (user + system) over the batch: this process (worker and client), and the dev server. */
  cpuMs: { bench: number; server: number };
}

/** The dev server's pid: the child of this process running the temporal CLI (Linux /proc). */
let serverPid: number | undefined;
function devServerPid(): number | undefined {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return ''; // a thread that ended meanwhile
    }
  };
  serverPid ??= readdirSync('/proc/self/task')
    .flatMap((t) => read(`/proc/self/task/${t}/children`).trim().split(/\s+/).filter(Boolean).map(Number))
    .find((pid) => /temporal/.test(read(`/proc/${pid}/cmdline`)));
  return serverPid;
}

/** CPU ms of this process and of the dev server so far. */
function cpuNow(): { bench: number; server: number } {
  const own = process.cpuUsage();
  const pid = devServerPid();
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  const fields = pid ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ') : [];
  const server = pid ? (Number(fields[11]) + Number(fields[12])) * 10 : NaN;
  return { bench: (own.user + own.system) / 1000, server };
}

/** Starts `count` workflows at once and waits for all; latency is start call to result, per workflow. */
async function batch(count: number, start: (i: number) => Promise<{ result(): Promise<unknown> }>): Promise<Batch> {
  const t0 = performance.now();
  const cpu0 = cpuNow();
  const latenciesMs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const began = performance.now();
      const handle = await start(i);
      await handle.result();
      return performance.now() - began;
    }),
  );
  const cpu1 = cpuNow();
  return { latenciesMs, wallMs: performance.now() - t0, cpuMs: { bench: cpu1.bench - cpu0.bench, server: cpu1.server - cpu0.server } };
}

/** Runs `n` single-workflow batches one after another and pools their latencies. */
async function sequential(n: number, one: (i: number) => Promise<Batch>): Promise<Batch> {
  const t0 = performance.now();
  const latenciesMs: number[] = [];
  const cpuMs = { bench: 0, server: 0 };
  for (let i = 0; i < n; i++) {
    const b = await one(i);
    latenciesMs.push(...b.latenciesMs);
    cpuMs.bench += b.cpuMs.bench;
    cpuMs.server += b.cpuMs.server;
  }
  return { latenciesMs, wallMs: performance.now() - t0, cpuMs };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

function summarise(label: string, b: Batch): { perSecond: number; p50: number; p95: number } {
  const perSecond = (b.latenciesMs.length / b.wallMs) * 1000;
  const p50 = quantile(b.latenciesMs, 0.5);
  const p95 = quantile(b.latenciesMs, 0.95);
  const n = b.latenciesMs.length;
  const cpu = b.cpuMs.bench || b.cpuMs.server ? `   CPU per run: worker+client ${(b.cpuMs.bench / n).toFixed(1)} ms, dev server ${(b.cpuMs.server / n).toFixed(1)} ms` : '';
  console.log(`${label.padEnd(38)} ${n} done in ${(b.wallMs / 1000).toFixed(2)} s   ${perSecond.toFixed(1).padStart(6)} /s   median ${p50.toFixed(0).padStart(5)} ms   p95 ${p95.toFixed(0).padStart(5)} ms${cpu}`);
  return { perSecond, p50, p95 };
}

async function slipwayBatch(client: Client, taskQueue: string, count: number, tag: string): Promise<Batch> {
  const b = await batch(count, (i) =>
    client.workflow.start('pipeline', { taskQueue, workflowId: `load-${tag}-${i}`, args: [{ spec: NOOP_SPEC }] }),
  );
  // Every run must have completed all its steps, not just ended.
  const sample = (await client.workflow.getHandle(`load-${tag}-0`).result()) as PipelineResult;
  if (sample.steps.some((s) => s.state !== 'succeeded')) throw new Error(`a load pipeline did not run all its steps: ${JSON.stringify(sample.steps)}`);
  return b;
}

async function main(): Promise<void> {
  installTemporalLogger(createLogger('warn'));
  const cli = execFileSync('bash', [path.join(root, 'scripts/temporal-cli.sh')]).toString().trim();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS },
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-load-'));
  try {
    const config = loadConfig({
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_TASK_QUEUE: 'bench-load',
      SLIPWAY_DEV_PRINCIPAL: 'local',
      SLIPWAY_LOG_LEVEL: 'warn',
      SLIPWAY_MAX_CONCURRENT_ACTIVITIES: String(ACTIVITY_CONCURRENCY),
    });
    const slipway = await createWorker(config, env.nativeConnection, createLogger('warn'));
    const plain = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-load-plain',
      workflowsPath: require.resolve('./floors/plain-chain'),
      activities: { pass: async (refs: Record<string, string>) => refs },
      maxConcurrentActivityTaskExecutions: ACTIVITY_CONCURRENCY,
    });
    // The floor schedules as many activities as the pipeline: one per step plus resolvePipeline.
    const activities = STEPS + 1;
    const plainBatch = (count: number, tag: string) =>
      batch(count, (i) => env.client.workflow.start('plainChain', { taskQueue: 'bench-load-plain', workflowId: `plain-${tag}-${i}`, args: [activities] }));

    const results = await plain.runUntil(() =>
      slipway.worker.runUntil(async () => {
        // Warm-up: bundles loaded, caches and connections warm, files created.
        await plainBatch(20, 'warm');
        await slipwayBatch(env.client, config.taskQueue, 20, 'warm');
        // One at a time: the per-run latency without queueing behind 199 others.
        const floorSolo = await sequential(10, (i) => plainBatch(1, `solo-${i}`));
        const slipSolo = await sequential(10, (i) => slipwayBatch(env.client, config.taskQueue, 1, `solo-${i}`));
        const rounds: Array<{ floor: Batch; slip: Batch }> = [];
        for (let r = 0; r < PAIRS; r++) {
          const floorFirst = r % 2 === 0;
          const first = floorFirst ? await plainBatch(PIPELINES, `r${r}`) : await slipwayBatch(env.client, config.taskQueue, PIPELINES, `r${r}`);
          const second = floorFirst ? await slipwayBatch(env.client, config.taskQueue, PIPELINES, `r${r}`) : await plainBatch(PIPELINES, `r${r}`);
          rounds.push(floorFirst ? { floor: first, slip: second } : { floor: second, slip: first });
        }
        return { rounds, floorSolo, slipSolo };
      }),
    );
    await slipway.close();

    console.log(`${PIPELINES} workflows started at once, ${STEPS} no-op steps each; one worker process; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    const events = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
    console.log(`history events per run: plain ${await events('plain-r0-0')}, Slipway ${await events('load-r0-0')}\n`);
    {
      const f = summarise(`one at a time, floor (10 runs)`, results.floorSolo);
      const s = summarise(`one at a time, Slipway (10 runs)`, results.slipSolo);
      console.log(`one at a time ratios: median latency ${(s.p50 / f.p50).toFixed(2)}x, p95 ${(s.p95 / f.p95).toFixed(2)}x\n`);
    }
    const pooled = (batches: Batch[]): Batch => ({
      latenciesMs: batches.flatMap((b) => b.latenciesMs),
      wallMs: batches.reduce((sum, b) => sum + b.wallMs, 0),
      cpuMs: { bench: batches.reduce((sum, b) => sum + b.cpuMs.bench, 0), server: batches.reduce((sum, b) => sum + b.cpuMs.server, 0) },
    });
    const all = { label: `all ${PAIRS} pairs`, floor: pooled(results.rounds.map((r) => r.floor)), slip: pooled(results.rounds.map((r) => r.slip)) };
    for (const { label, floor, slip } of [...results.rounds.map((r, i) => ({ label: `pair ${i + 1}`, ...r })), all]) {
      const f = summarise(`${label} floor: plain, ${activities} activities`, floor);
      const s = summarise(`${label} Slipway, ${STEPS} noop steps`, slip);
      console.log(
        `${label} ratios: median latency ${(s.p50 / f.p50).toFixed(2)}x (target <= 1.15x), p95 ${(s.p95 / f.p95).toFixed(2)}x, throughput ${(s.perSecond / f.perSecond).toFixed(2)}x (target >= 0.8x)\n`,
      );
    }
  } finally {
    await env.teardown();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
