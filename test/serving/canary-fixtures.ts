/**
 * A canary world: a serving world (registry + artifact store), a real model server process
 * on a fixed port (so a restarted one is found at the same address), a real Temporal dev
 * server with a Slipway worker pointed at both, and synthetic flights traffic whose labels
 * follow distance, so a model's live AUC depends on its distance weight.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CanaryInput, CanaryReport } from '../../src/canary/canary-state';
import type { StepResult } from '../../src/pipeline/types';
import { replayTraffic, type FlightTraffic, type ReplayReport } from '../../tools/replay-traffic';
import { killHard, spawnServer, type ServerProcess } from '../../src/serving/server-process';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { ADMIN_TOKEN, call, createServingWorld, serverProcessEnv, flight, LABELER_TOKEN, tinyFlightsModel, type ServingWorld, type TinyWeights } from './serving-fixtures';

export interface CanaryWorld {
  world: ServingWorld;
  env: TestWorkflowEnvironment;
  harness: Harness;
  server: ServerProcess;
  base: string;
  /** Kills the model server with SIGKILL and starts it again on the same port and state. */
  restartServer(options?: { downMs?: number }): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function startCanaryWorld(): Promise<CanaryWorld> {
  const world = await createServingWorld();
  const port = await freePort();
  const serverEnv = {
    ...serverProcessEnv(world),
    SLIPWAY_SERVE_LABELER_TOKEN: LABELER_TOKEN,
    SLIPWAY_SERVE_PORT: String(port),
  };
  let server = await spawnServer(serverEnv);
  const base = server.base;
  const env = await startDevServer();
  const harness = await startHarness(env, {
    SLIPWAY_REGISTRY_PATH: world.registryPath,
    SLIPWAY_ARTIFACT_ROOT: world.artifactRoot,
    SLIPWAY_SERVE_URL: base,
    SLIPWAY_SERVE_ADMIN_TOKEN: ADMIN_TOKEN,
  });
  const cw: CanaryWorld = {
    world,
    env,
    harness,
    server,
    base,
    async restartServer(options = {}) {
      await killHard(server);
      if (options.downMs) await new Promise((r) => setTimeout(r, options.downMs));
      server = await spawnServer(serverEnv);
      cw.server = server;
    },
    async close() {
      await killHard(server);
      await harness.close();
      await env.teardown();
      await world.close();
    },
  };
  return cw;
}

/** Options of {@link useCanaryWorld}. */
export interface UseCanaryWorldOptions {
  /**
   * How long the world may take to start: three processes (model server, Temporal dev server, worker)
   * on a loaded 2-core CI.
   * @default 120_000
   */
  startTimeoutMs?: number;
}

/**
 * Starts one canary world before the calling file's tests and closes it after them.
 * Returns a getter, valid inside tests and hooks that run after the world started.
 */
export function useCanaryWorld(options: UseCanaryWorldOptions = {}): () => CanaryWorld {
  let cw: CanaryWorld | undefined;
  beforeAll(async () => {
    cw = await startCanaryWorld();
  }, options.startTimeoutMs ?? 120_000);
  afterAll(async () => {
    await cw?.close();
    cw = undefined;
  });
  return () => {
    if (!cw) throw new Error('useCanaryWorld: the canary world exists only inside the tests of the file that called it');
    return cw;
  };
}

/** Registers a champion (distance weight 2) and a candidate of `model`, and deploys the champion alone. */
export async function deployChampionAndCandidate(cw: CanaryWorld, model: string, candidateWeights: TinyWeights) {
  const champion = await cw.world.register(model, tinyFlightsModel({ distance: 2 }));
  const candidate = await cw.world.register(model, tinyFlightsModel(candidateWeights));
  const put = await call(cw.base, 'PUT', `/admin/v1/models/${model}/deployment`, { versions: [{ version: champion.version, weight: 100 }] });
  expect(put.status).toBe(200);
  return { champion: champion.version, candidate: candidate.version, candidateArtifact: candidate.artifact };
}

/** The report a finished canary stored as its artifact. */
export async function readCanaryReport(cw: CanaryWorld, result: StepResult<'canary'>): Promise<CanaryReport> {
  return JSON.parse(await readFile(await cw.world.store.localPath(result.artifacts.canaryReport), 'utf8')) as CanaryReport;
}

/** Runs the canary workflow of `input` (workflow id `canary-<model>`) to its end: its result and report. */
export async function runCanaryToEnd(cw: CanaryWorld, input: CanaryInput): Promise<{ result: StepResult<'canary'>; report: CanaryReport }> {
  const handle = await cw.env.client.workflow.start('canary', { taskQueue: cw.harness.config.taskQueue, workflowId: `canary-${input.model}`, args: [input] });
  const result = (await handle.result()) as StepResult<'canary'>;
  return { result, report: await readCanaryReport(cw, result) };
}

/**
 * Flights whose label is 1 for long flights (distance > 1000) with 10% of labels flipped, so
 * a model with a positive distance weight has a live AUC near 0.9 and a negative one near 0.1.
 */
export function syntheticTraffic(n: number, seed = 1): FlightTraffic {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows = [];
  const labels: (0 | 1)[] = [];
  for (let i = 0; i < n; i++) {
    const distance = 200 + Math.floor(rand() * 1600);
    rows.push(flight(distance));
    const truth = distance > 1000 ? 1 : 0;
    labels.push((rand() < 0.1 ? 1 - truth : truth) as 0 | 1);
  }
  return { rows, labels };
}

/** Sends traffic until stopped; `stop()` resolves with the replay report once pending feedback is posted. */
export function startTraffic(base: string, model: string, rate = 100): { stop(): Promise<ReplayReport> } {
  const controller = new AbortController();
  const done = replayTraffic({ baseUrl: base, model, traffic: syntheticTraffic(100_000), rate, feedbackDelayMs: 200, labelerToken: LABELER_TOKEN, signal: controller.signal });
  return {
    stop: async () => {
      controller.abort();
      return done;
    },
  };
}
