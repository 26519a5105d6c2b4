/**
 * A Slipway worker over real backends in a fresh temp folder, on its own task queue,
 * against a real dev server. Each test file gets its own data, registry and queue.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createWorker, type SlipwayWorker } from '../../src/worker';

/** The run-signing key test workers share with the test's API and clients. */
export const TEST_SIGNING_KEY = 'test-signing-key-0123456789abcdef0123456789';

export interface Harness {
  config: Readonly<Config>;
  /** Serves every task queue of the topology (embedded mode). */
  worker: SlipwayWorker['worker'];
  dataDir: string;
  close(): Promise<void>;
}

export async function startHarness(env: TestWorkflowEnvironment, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-test-'));
  const config = loadConfig(Object.fromEntries(Object.entries({
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_TASK_QUEUE: `test-${path.basename(dataDir)}`,
    SLIPWAY_PIPELINES_DIR: path.join(__dirname, '..', '..', 'pipelines'),
    // Tests write their source files into their own folders under the OS temp folder.
    SLIPWAY_DATA_ROOTS: os.tmpdir(),
    SLIPWAY_LOG_LEVEL: process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'error',
    // As in the local dev setup (scripts/worker.sh): unsigned runs and approvals act as dev:local,
    // and clients given this key sign who starts and decides. Tests of production set '' to unset.
    SLIPWAY_DEV_PRINCIPAL: 'local',
    SLIPWAY_RUN_SIGNING_KEY: TEST_SIGNING_KEY,
    ...extraEnv,
  }).filter(([, v]) => v !== '')));
  const logger = createLogger(config.logLevel);
  const { worker, close } = await createWorker(config, env.nativeConnection, logger);
  // One worker for the whole file: a Worker can run only once, so tests must not use runUntil.
  const running = worker.run();
  return {
    config,
    worker,
    dataDir,
    close: async () => {
      worker.shutdown();
      await running;
      await close();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}
