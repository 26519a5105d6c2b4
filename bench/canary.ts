/**
 * Benchmark: the canary on real parts — a Temporal dev server, a Slipway worker, a model
 * server process and real June 2001 flights replayed at 200 requests/s with their labels as
 * feedback 1 s later. Built-in-trainer models: a champion trained on the first half of March,
 * a good candidate on the second half of May (newer data), and a bad candidate trained on
 * the March window with shuffled labels.
 *   1. bad canary (steps 10/25/50/100 %, 5-s analysis interval, sequential hold of at most
 *      60 s per step), three times: time from the canary's first traffic to its rollback on
 *      the server, in analysis intervals (target ≤ 2)
 *   2. good canary through every step, five times (target: promoted every time, never by a
 *      default): wall time against the floor, one interval per step (4 × 5 s), and each step's
 *      looks and evidence
 *   3. traffic statuses across all of it (every prediction must be 2xx)
 * Usage: npm run bench:canary [-- --rate 20 --bad-runs 1 --good-runs 1]  (requests/s offered; bad and good canaries run)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CanaryStatus } from '../src/canary/canary-state';
import { HttpServingAdmin } from '../src/serving/http-serving-admin';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { loadConfig } from '../src/config';
import { createLogger, installTemporalLogger } from '../src/logger';
import type { StepResult } from '../src/pipeline/types';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { loadFlightTraffic, replayTraffic } from '../tools/replay-traffic';
import { spawnServer, stopServer } from '../src/serving/server-process';
import { runBuiltinTrainer } from '../src/training/builtin-trainer';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../src/data/flights-window';
import { createWorker } from '../src/worker';
import { canaryStatusQuery } from '../src/workflows/definitions';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/workflows/search-attributes';

const MODEL = 'flight-delay';
const TOKEN = randomBytes(32).toString('hex');
const LABELER_TOKEN = randomBytes(32).toString('hex');
const INTERVAL_MS = 5000;
const PARAMS = { steps: [10, 25, 50, 100], interval: '5s', analysis: { minRequests: 50, minLabels: 100 }, hold: { maxDuration: '60s' }, decisionTimeout: '1 minute' };
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RATE = arg('rate', 200);
const BAD_RUNS = arg('bad-runs', 5);
// Five: one good run promoting says little when the verdict could depend on how traffic lands (issue #19).
const GOOD_RUNS = arg('good-runs', 5);

async function main(): Promise<void> {
  const root = path.join(__dirname, '..');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-canary-'));
  installTemporalLogger(createLogger('warn'));
  const registryPath = path.join(dir, 'registry.sqlite');
  const artifactRoot = path.join(dir, 'artifacts');
  const registry = new SqliteModelRegistry({ path: registryPath });
  const store = new LocalArtifactStore({ root: artifactRoot });

  console.log('training the champion (2001-03-01..15), a good candidate (2001-05-15..31) and a bad one (March, shuffled labels) ...');
  const march = path.join(dir, 'march.parquet');
  const may = path.join(dir, 'may.parquet');
  await writeFlightsWindow(march, '2001-03-01', '2001-03-15');
  await writeFlightsWindow(may, '2001-05-15', '2001-06-01');
  const register = async (key: string, trainPath: string, params: Record<string, unknown>) => {
    const { modelPath } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params, outputDir: path.join(dir, key) });
    const artifact = await store.put(modelPath, { name: 'model', mediaType: 'application/onnx' });
    const lineage = { dataDigest: artifact.sha256, specDigest: 'bench', workflowId: 'bench', runId: 'bench', pipeline: 'bench', trainer: 'builtin' };
    return (await registry.registerVersion({ model: MODEL, idempotencyKey: `bench/${key}`, artifact, metrics: {}, params, lineage })).version;
  };
  const champion = await register('champion', march, { epochs: 3, seed: 1 });
  const good = await register('good', may, { epochs: 3, seed: 1 });
  const bad = await register('bad', march, { epochs: 3, seed: 1, shuffleLabels: true });

  const server = await spawnServer({
    SLIPWAY_DATA_DIR: dir,
    SLIPWAY_REGISTRY_PATH: registryPath,
    SLIPWAY_ARTIFACT_ROOT: artifactRoot,
    SLIPWAY_SERVE_STATE_PATH: path.join(dir, 'deployments.json'),
    SLIPWAY_SERVE_ADMIN_TOKEN: TOKEN,
    SLIPWAY_SERVE_LABELER_TOKEN: LABELER_TOKEN,
  });
  const admin = new HttpServingAdmin(server.base, TOKEN);
  await admin.setDeployment(MODEL, [{ version: champion, weight: 100 }]);

  const cli = execFileSync('bash', [path.join(root, 'scripts/temporal-cli.sh')]).toString().trim();
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS } });
  const config = loadConfig({
    SLIPWAY_DATA_DIR: dir,
    SLIPWAY_TASK_QUEUE: 'bench-canary',
    SLIPWAY_DEV_PRINCIPAL: 'local',
    SLIPWAY_REGISTRY_PATH: registryPath,
    SLIPWAY_ARTIFACT_ROOT: artifactRoot,
    SLIPWAY_SERVE_URL: server.base,
    SLIPWAY_SERVE_ADMIN_TOKEN: TOKEN,
    SLIPWAY_LOG_LEVEL: 'warn',
  });
  const { worker, close } = await createWorker(config, env.nativeConnection, createLogger('warn'));
  const running = worker.run();

  const traffic = await loadFlightTraffic({ from: '2001-06-01', to: '2001-07-01' });
  const controller = new AbortController();
  const replay = replayTraffic({ baseUrl: server.base, model: MODEL, traffic, rate: RATE, feedbackDelayMs: 1000, labelerToken: LABELER_TOKEN, callers: 50, signal: controller.signal });

  const runCanary = async (candidate: number, n: number) => {
    const handle = await env.client.workflow.start('canary', {
      taskQueue: config.taskQueue,
      workflowId: `canary-${MODEL}`,
      args: [{ model: MODEL, champion, candidate, params: PARAMS }],
    });
    // Poll the server itself: the clock stops when the rollback is in force, not when the workflow says so.
    let firstTraffic: number | undefined;
    let rolledBack: number | undefined;
    const poll = setInterval(() => {
      void admin.getDeployment(MODEL).then((d) => {
        const w = d?.versions.find((v) => v.version === candidate)?.weight ?? 0;
        if (w > 0) firstTraffic ??= performance.now();
        if (firstTraffic !== undefined && w === 0) rolledBack ??= performance.now();
      // A poll the loaded server did not answer in time is skipped, not fatal: the next one comes 50 ms later.
      }).catch(() => undefined);
    }, 50);
    const started = performance.now();
    const result = (await handle.result()) as StepResult<'canary'>;
    const ended = performance.now();
    await new Promise((r) => setTimeout(r, 200));
    clearInterval(poll);
    const status = await queryStatus(handle);
    // Reset for the next run: the champion alone.
    await admin.setDeployment(MODEL, [{ version: champion, weight: 100 }]);
    return { n, verdict: String(result.summary.canaryVerdict), reasons: result.summary.reasons, status, wallMs: ended - started, toRollbackMs: firstTraffic !== undefined && rolledBack !== undefined ? rolledBack - firstTraffic : undefined };
  };

  try {
    // Let a few seconds of traffic reach the champion, so its figures exist before the first step.
    await new Promise((r) => setTimeout(r, 3000));
    const badRuns = [];
    console.log(`offered traffic: ${RATE} requests/s; ${BAD_RUNS} bad canar${BAD_RUNS === 1 ? 'y' : 'ies'}, then ${GOOD_RUNS} good`);
    for (let n = 1; n <= BAD_RUNS; n++) {
      const r = await runCanary(bad, n);
      badRuns.push(r);
      const secs = r.toRollbackMs !== undefined ? (r.toRollbackMs / 1000).toFixed(2) : 'n/a';
      const intervals = r.toRollbackMs !== undefined ? (r.toRollbackMs / INTERVAL_MS).toFixed(2) : 'n/a';
      console.log(`bad canary #${n}: ${r.verdict} after ${r.status.steps.length} step(s), ${r.status.steps[0]?.hold?.looks ?? 'n/a'} look(s); first traffic → rollback ${secs} s = ${intervals} intervals; ${r.reasons[0]}`);
    }
    const goodRuns = [];
    for (let n = 1; n <= GOOD_RUNS; n++) {
      const goodRun = await runCanary(good, n);
      goodRuns.push(goodRun);
      const holds = PARAMS.steps.length * INTERVAL_MS;
      const decided = goodRun.status.steps.every((s) => !s.decision);
      console.log(`good canary #${n}: ${goodRun.verdict}${decided ? '' : ' (a step needed a decision)'}, ${goodRun.status.steps.length} steps, wall ${(goodRun.wallMs / 1000).toFixed(2)} s vs floor (one interval per step) ${(holds / 1000).toFixed(2)} s = ${(goodRun.wallMs / holds).toFixed(2)}×`);
      // A good candidate that did not pass: say which check stopped it, so load and a real fault can be told apart.
      if (goodRun.verdict !== 'passed') console.log(`   reasons: ${goodRun.reasons.join('; ') || 'none given'}`);
      for (const s of goodRun.status.steps) {
        const m = s.measurement?.step;
        const auc = s.analysis?.checks.find((c) => c.name === 'liveAuc');
        const e = auc?.evidence;
        const evidence = e ? `, diff ${e.estimate.toFixed(3)} in [${e.lower.toFixed(3)}, ${e.upper.toFixed(3)}] on ${e.samples.canary}/${e.samples.champion} labels, always-valid p ${e.alwaysValidP.toPrecision(2)}` : '';
        console.log(`   ${String(s.weight).padStart(3)}%: ${s.analysis?.verdict} after ${s.hold?.looks ?? 1} look(s), ${((s.hold?.elapsedMs ?? 0) / 1000).toFixed(1)} s; canary ${m?.canary.requests} req p99 ${m?.canary.p99Ms?.toFixed(2)} ms, champion ${m?.champion.requests} req; live AUC ${auc?.verdict} (${auc?.canary ?? 'n/a'} vs ${auc?.baseline ?? 'n/a'}${evidence})`);
      }
    }
    if (goodRuns.length > 0) {
      const promoted = goodRuns.filter((r) => r.verdict === 'passed' && r.status.steps.every((s) => !s.decision)).length;
      const walls = goodRuns.map((r) => (r.wallMs / 1000).toFixed(1)).join(', ');
      console.log(`\ngood candidate passed without a default decision in ${promoted} of ${goodRuns.length} runs (walls ${walls} s): ${promoted === goodRuns.length ? 'met' : 'MISSED'}`);
    }
    if (badRuns.length > 0) {
      const worst = Math.max(...badRuns.map((r) => r.toRollbackMs ?? Infinity));
      console.log(`worst bad canary first traffic → rollback: ${(worst / INTERVAL_MS).toFixed(2)} intervals (target ≤ 2: ${worst <= 2 * INTERVAL_MS ? 'met' : 'MISSED'})`);
    }
  } finally {
    controller.abort();
    const report = await replay;
    const non2xx = Object.entries(report.statuses).filter(([s]) => !s.startsWith('2')).reduce((a, [, n]) => a + n, 0);
    console.log(`traffic: ${report.sent} predictions at ${report.achievedRate.toFixed(0)}/s, statuses ${JSON.stringify(report.statuses)}, non-2xx ${non2xx}; by version ${JSON.stringify(report.versions)}`);
    worker.shutdown();
    await running;
    await close();
    await env.teardown();
    await stopServer(server);
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The closed canary's status; a loaded worker may miss the server's query deadline, so it is asked up to five times. */
async function queryStatus(handle: { query: (q: typeof canaryStatusQuery) => Promise<unknown> }): Promise<CanaryStatus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await handle.query(canaryStatusQuery)) as CanaryStatus;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
