/**
 * A worker over real backends (artifact store, SQLite registry, step records, step cache) in a
 * fresh temp folder, on its own task queue, whose activities can be made to fail on demand so a
 * test can break a run at a chosen step and then resume it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { FileStepCache } from '../../src/cache/file-step-cache';
import { createLogger } from '../../src/logger';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import { FileStepRecords } from '../../src/step-records/file-step-records';
import { statusQuery } from '../../src/workflows/definitions';
import type { PipelineResult, PipelineStatus } from '../../src/workflows/pipeline-status';
import { WORKFLOWS_PATH } from '../../src/workflows-path';
import { ingestParams } from '../validation/flight-files';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';

export interface PipelineRunReport {
  workflowId: string;
  /** The result, when the run completed. */
  result?: PipelineResult;
  /** The failure, when it did not. */
  error?: WorkflowFailedError;
  status: PipelineStatus;
  /** Wall time from start to result, as a client sees it. */
  ms: number;
}

export interface CachingHarness {
  registry: SqliteModelRegistry;
  store: LocalArtifactStore;
  /** Activity names (e.g. `evaluate`) that fail, non-retryably with type `InjectedFault`, while listed. */
  faults: Set<string>;
  run(input: unknown): Promise<PipelineRunReport>;
  close(): Promise<void>;
}

/** Backends a test shares with other parts (a model server's registry, store and inference log); absent: fresh ones. */
export interface CachingHarnessOptions {
  registry?: SqliteModelRegistry;
  store?: LocalArtifactStore;
  inferenceLogDir?: string;
}

export async function startCachingHarness(env: TestWorkflowEnvironment, options: CachingHarnessOptions = {}): Promise<CachingHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-caching-'));
  const taskQueue = `test-${path.basename(dataDir)}`;
  const registry = options.registry ?? new SqliteModelRegistry({ path: path.join(dataDir, 'registry.sqlite') });
  const store = options.store ?? new LocalArtifactStore({ root: path.join(dataDir, 'artifacts') });
  const activities = createActivities({
    logger: createLogger('error'),
    store,
    registry,
    stepRecords: new FileStepRecords(path.join(dataDir, 'step-records')),
    stepCache: new FileStepCache(path.join(dataDir, 'step-cache')),
    pipelinesDir: path.join(__dirname, '..', '..', 'pipelines'),
    duckdbThreads: 2,
    dataRoots: { roots: [os.tmpdir()], ...SOURCE_LIMIT_DEFAULTS },
    // As in the local dev setup: unsigned runs act as the admin dev:local (docs/trust-boundary.md).
    trust: { devPrincipal: 'dev:local', inlineCommandPrincipals: [] },
    ...(options.inferenceLogDir ? { inferenceLogDir: options.inferenceLogDir } : {}),
  });
  const faults = new Set<string>();
  const faulty = Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        if (faults.has(name)) throw ApplicationFailure.nonRetryable(`injected fault in ${name}`, 'InjectedFault');
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities: faulty });
  const running = worker.run();
  let count = 0;

  return {
    registry,
    store,
    faults,
    async run(input) {
      const workflowId = `${taskQueue}-${(count += 1)}`;
      const started = Date.now();
      const handle = await env.client.workflow.start('pipeline', { taskQueue, workflowId, args: [input] });
      let result: PipelineResult | undefined;
      let error: WorkflowFailedError | undefined;
      try {
        result = (await handle.result()) as PipelineResult;
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        error = err;
      }
      const ms = Date.now() - started;
      return { workflowId, result, error, ms, status: await handle.query(statusQuery) };
    },
    async close() {
      worker.shutdown();
      await running;
      // A shared registry is closed by its owner.
      if (!options.registry) await registry.close();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}

/** The flight-delay steps on nine days of March 2001, with the built-in trainer only. */
export const INGEST_WEEK = ingestParams('package:vega-datasets/data/flights-3m.parquet', { from: '2001-03-01', to: '2001-03-10' });

export const builtinTrain = (id: string, epochs: number, extra: object = {}) => ({
  id,
  kind: 'train',
  dependsOn: ['validate'],
  with: {
    trainer: 'builtin',
    features: { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'] },
    params: { epochs, seed: 7 },
  },
  ...extra,
});

export const EVALUATE_WITH = {
  primaryMetric: 'auc',
  firstRun: 'pass',
  gates: [{ metric: 'auc', min: 0.55 }],
  // A re-run retrains nothing, so the candidate is the champion itself: not worse, hence promotable.
  comparison: { test: 'non-inferiority', margin: 0.005 },
};

/** Step id → state, in spec order. */
export const states = (status: PipelineStatus): Record<string, string> =>
  Object.fromEntries(status.steps.map((s) => [s.id, s.state]));
