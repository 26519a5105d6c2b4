/**
 * The worker's composition root: config → logger → backends → activities → Temporal worker.
 * The other processes compose their own backends from the same config the same way
 * (api/main.ts, serving/main.ts, cli/context.ts; tools/ for the demo and simulation).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from './activities';
import { HttpServingAdmin } from './serving/http-serving-admin';
import { FileStepCache } from './cache/file-step-cache';
import { createArtifactStore } from './artifacts/create-artifact-store';
import { sweepOrphans } from './artifacts/orphan-sweep';
import { defaultReferenceSources } from './registry/reference-sources';
import { startQuarantineSweeps } from './registry/quarantine-sweeper';
import { loadConfig, type Config } from './config';
import { createLogger, installTemporalLogger } from './logger';
import { openGovernance } from './registry/create-registry';
import { loadTrainerRegistry } from './training/trainer-registry';
import { installSdkMetrics } from './observability/sdk-telemetry';
import { tracingFromConfig } from './observability/tracing';
import { startWorkerObservability } from './observability/worker-observability';
import { FileStepRecords } from './step-records/file-step-records';
import { createQueueWorkers } from './topology/queue-workers';
import type { WorkerGroup } from './topology/worker-group';
import { WORKFLOWS_PATH } from './workflows-path';

export interface SlipwayWorker {
  /** One Temporal Worker per task queue this process serves (SLIPWAY_WORKER_QUEUES), run and stopped together. */
  worker: WorkerGroup;
  /** Releases the backends; call after `worker.run()` resolves. */
  close(): Promise<void>;
  /** `http://host:port` serving `/metrics` when SLIPWAY_WORKER_METRICS_PORT is set. */
  metricsUrl?: string;
}

export async function createWorker(
  config: Readonly<Config>,
  connection: NativeConnection,
  logger: Logger,
  options: Partial<WorkerOptions> = {},
): Promise<SlipwayWorker> {
  // Scratch folders and partial writes of processes on this host that died (SIGKILL, OOM) before cleaning up.
  const swept = await sweepOrphans(config.artifactRoot);
  if (swept.length > 0) logger.info({ removed: swept }, 'removed what ended processes left in the artifact root');
  // The access-control store shares the registry's database: verified principals' rights are read fresh from it.
  const governance = await openGovernance(config);
  const registry = governance.registry;
  const observability = await startWorkerObservability(config, logger);
  const store = createArtifactStore(config);
  // Discarded batches' bytes, and batches undecided beyond the retention (src/registry/quarantine-purge.ts).
  const sweeps = startQuarantineSweeps(
    { quarantine: governance.quarantine, store, sources: defaultReferenceSources(governance.quarantine, config.dataDir) },
    { retentionMs: config.quarantine.retentionMs, retentionText: config.quarantine.retention, expiry: config.quarantine.expiry },
    logger.child({ component: 'quarantine-sweep' }),
  );
  const activities = createActivities({
    logger,
    metrics: observability.metrics,
    store,
    registry,
    stepRecords: new FileStepRecords(path.join(config.dataDir, 'step-records')),
    stepCache: new FileStepCache(path.join(config.dataDir, 'step-cache')),
    pipelinesDir: config.pipelinesDir,
    duckdbThreads: config.duckdbThreads,
    dataRoots: config.dataRoots,
    inferenceLogDir: config.inferenceLogDir,
    codeVersion: config.codeVersion ?? gitHead(),
    serving: config.serve.url ? new HttpServingAdmin(config.serve.url, config.serve.adminToken) : undefined,
    taskQueues: config.taskQueues,
    trust: config.trust,
    access: governance.access,
    trainers: loadTrainerRegistry(config.trust.trainersFile),
    quarantine: governance.quarantine,
  });
  const worker = await createQueueWorkers({
    queues: config.taskQueues,
    serve: config.workerQueues,
    activities,
    workerOptions: {
      connection,
      namespace: config.temporal.namespace,
      workflowsPath: WORKFLOWS_PATH,
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
      // An activity hears that its run was cancelled only in the answer to a heartbeat the worker sends
      // on; by default those go out every 0.8 × the heartbeat timeout (48 s for a minute), so a cancelled
      // ingest kept reading for most of a minute. Every 5 s costs one small RPC per running activity.
      maxHeartbeatThrottleInterval: '5 seconds',
      ...observability.workerOptions,
      ...options,
    },
  });
  return {
    worker,
    metricsUrl: observability.metricsUrl,
    close: async () => {
      await sweeps.stop();
      await observability.close();
      await governance.close();
    },
  };
}

/** The checkout's commit, when SLIPWAY_CODE_VERSION does not say (a git checkout rather than an image). */
function gitHead(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // The SDK's metrics exporter is a Runtime option: install it before the first connection.
  if (config.observability.metrics) await installSdkMetrics(logger);
  installTemporalLogger(logger);
  const connection = await NativeConnection.connect(config.temporal.connection);
  const { worker, close } = await createWorker(config, connection, logger);
  const queues = worker.members.map((m) => `${m.taskQueue} (${m.kinds.join(', ')})`);
  logger.info({ taskQueue: config.taskQueue, queues, namespace: config.temporal.namespace, dataDir: config.dataDir }, 'worker started');
  // Every Worker stops polling on SIGINT/SIGTERM and lets in-flight activities finish.
  try {
    await worker.run();
  } finally {
    await close();
    await connection.close();
    await tracingFromConfig(config)?.shutdown();
    logger.info('worker stopped');
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
