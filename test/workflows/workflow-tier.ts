/**
 * What every workflow-tier test file shares: one time-skipping test server and one workflow bundle
 * per file, a worker per test on its own task queue serving typed mock activities, and small
 * fixtures. Time skips only while the test waits on a result or `env.sleep`s (the server starts
 * with skipping locked), so a test can query and signal a waiting workflow in real time and then
 * let its production-length timers fire at once.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundlePath } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Activities } from '../../src/activities';
import { createDecisionActivities } from '../../src/activities/verify-decision';
import type { StepKindName } from '../../src/pipeline/step-kinds';
import type { StepResult } from '../../src/pipeline/types';
import { WORKFLOWS_PATH } from '../../src/workflows-path';
import { startTimeSkippingServer } from '../helpers/temporal-env';

export interface WorkflowTier {
  readonly env: TestWorkflowEnvironment;
  /** The time-skipping client: `result()` and `execute()` let timers fire without waiting. */
  readonly client: Client;
  /** Runs `fn` with a worker on a fresh task queue serving the given mock activities. */
  withWorker<T>(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>): Promise<T>;
  /** A workflow id unique in this file. */
  id(name: string): string;
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Starts the server and bundles the workflows before the file's tests; stops the server after them. */
export function useWorkflowTier(file: string): WorkflowTier {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundlePath;
  let n = 0;
  beforeAll(async () => {
    [env, bundle] = await Promise.all([startTimeSkippingServer(), sharedBundle(inject('workflowBundleDir'))]);
  });
  afterAll(async () => env?.teardown());
  const started = (): TestWorkflowEnvironment => {
    if (!env) throw new Error('the workflow tier is not started: call useWorkflowTier at the top of the test file');
    return env;
  };
  return {
    get env() {
      return started();
    },
    get client() {
      return started().client;
    },
    id: (name) => `${file}-${name}-${++n}`,
    async withWorker(activities, fn) {
      const taskQueue = `${file}-${++n}`;
      const worker = await Worker.create({
        connection: started().nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        // Decisions go through the real verifier, in the local dev setup's trust (unsigned ones act as dev:local).
        activities: { taskQueues: async () => null, ...createDecisionActivities({ trust: { devPrincipal: 'dev:local', inlineCommandPrincipals: [] } }), ...activities },
      });
      return worker.runUntil(fn(taskQueue));
    },
  };
}

/**
 * The run's workflow bundle, built by whichever file asks first while the others wait for it:
 * bundling is the tier's largest fixed cost (seconds of CPU on a 2-core machine), the same for every file.
 */
async function sharedBundle(dir: string, timeoutMs = 300_000): Promise<WorkflowBundlePath> {
  const codePath = path.join(dir, 'workflows.js');
  const failed = path.join(dir, 'failed.txt');
  try {
    mkdirSync(path.join(dir, 'building'));
  } catch {
    // Another file builds it.
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(codePath)) return { codePath };
      if (existsSync(failed)) throw new Error(`the shared workflow bundle failed to build: ${readFileSync(failed, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the shared workflow bundle did not appear in ${dir} within ${timeoutMs} ms`);
  }
  try {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent as never });
    writeFileSync(`${codePath}.partial`, code);
    renameSync(`${codePath}.partial`, codePath); // waiters never see half a file
    return { codePath };
  } catch (err) {
    writeFileSync(failed, String(err instanceof Error ? err.stack : err));
    throw err;
  }
}

/**
 * A step result without `kind`, as results were recorded before outputs carried it (and typed as
 * the kind's result only for the mock's signature): the workflow must take the kind from the spec.
 */
export const ok = <K extends StepKindName>(summary: Record<string, unknown>) => ({ artifacts: {}, summary, attempt: 1 }) as unknown as StepResult<K>;

/** Polls `predicate` (in real time: queries do not skip time) until it holds, for at most `timeoutMs`. */
export async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // The first workflow task may not have run yet.
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Milliseconds between two ISO timestamps. */
export const between = (from: string, to: string): number => Date.parse(to) - Date.parse(from);

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
