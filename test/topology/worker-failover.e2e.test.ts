/**
 * Scale-out on the task-queue topology: two worker processes serving every queue and one
 * serving only the training queue (joining once the kill happened), one dev server, one shared
 * data folder. One of the general
 * workers is killed with SIGKILL while a step of the pipeline runs on it; the pipeline still
 * completes, with one model version and no artifact left behind by the lost attempt.
 */
import { mkdir, readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ownerTag } from '../../src/artifacts/orphan-sweep';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { startDevServer } from '../helpers/temporal-env';
import { killHard, spawnWorker, stopWorker, type WorkerProcess } from './worker-process';

const PIPELINES = path.join(__dirname, '..', '..', 'pipelines');
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/** flight-delay-builtin on nine days, with step timeouts short enough that a lost attempt is retried within seconds. */
async function failoverSpec(): Promise<Record<string, unknown>> {
  const spec = YAML.parse(await readFile(path.join(PIPELINES, 'flight-delay-builtin.yaml'), 'utf8')) as { steps: Record<string, unknown>[] };
  for (const step of spec.steps) {
    if (step.id === 'ingest') (step.with as Record<string, unknown>).window = { from: '2001-03-01', to: '2001-03-10' };
    // A SIGKILLed worker never reports back: the attempt is retried when its start-to-close timeout expires.
    step.timeout = '30s';
    step.retry = { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '2s' };
  }
  return spec;
}

/** Every sha256 stored under the artifact root. */
async function storedDigests(root: string): Promise<string[]> {
  const dir = path.join(root, 'sha256');
  const prefixes = await readdir(dir).catch(() => [] as string[]);
  const files = await Promise.all(prefixes.map((p) => readdir(path.join(dir, p))));
  return files.flat().sort();
}

describe('workers spread over task queues', () => {
  let env: TestWorkflowEnvironment;
  let dataDir: string;
  let queue: string;
  const workers: WorkerProcess[] = [];
  let common: Record<string, string>;

  beforeAll(async () => {
    env = await startDevServer();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-topology-'));
    queue = `topo-${path.basename(dataDir)}`;
    common = { TEMPORAL_ADDRESS: env.address, SLIPWAY_TASK_QUEUE: queue, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_PIPELINES_DIR: PIPELINES, SLIPWAY_DEV_PRINCIPAL: 'local' };
    // At the same moment, on the fresh data folder: both open its SQLite files together. Once this
    // failed with "database is locked"; the likely cause, a fresh file's switch to WAL, is retried
    // now (test/governance-db/concurrent-open.test.ts).
    const started = await Promise.allSettled(['general-a', 'general-b'].map((name) => spawnWorker(name, { ...common, SLIPWAY_WORKER_QUEUES: 'all' })));
    for (const s of started) if (s.status === 'fulfilled') workers.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  /** The worker that serves only the training queue, started on first use. */
  async function trainingOnlyWorker(): Promise<WorkerProcess> {
    const running = workers.find((w) => w.name === 'training-only');
    if (running) return running;
    const started = await spawnWorker('training-only', { ...common, SLIPWAY_WORKER_QUEUES: 'training' });
    workers.push(started);
    return started;
  }

  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await env?.teardown();
    if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  /**
   * Waits for a step to run on a general worker and kills that worker. Only general workers poll
   * until then, so train (seconds on nine days) runs on one of them: with the training-only worker
   * competing from the start, it could take train and evaluate and leave the general workers only
   * steps that finish between two looks (one CI run on a fast machine saw the pipeline complete).
   */
  async function killWhereAStepRuns(handle: WorkflowHandle): Promise<{ activity: string; victim: WorkerProcess }> {
    const general = workers.filter((w) => w.name.startsWith('general'));
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const described = await handle.describe();
      for (const pending of described.raw.pendingActivities ?? []) {
        const activity = pending.activityType?.name ?? '';
        const victim = general.find((w) => w.identity === pending.lastWorkerIdentity);
        if (pending.state === STARTED && victim && ['train', 'evaluate', 'register', 'promote'].includes(activity)) {
          await killHard(victim);
          return { activity, victim };
        }
      }
      if (described.status.name !== 'RUNNING') throw new Error(`the pipeline ended (${described.status.name}) before a step ran on a general worker`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no step ran on a general worker within 3 minutes');
  }

  it('completes the pipeline after a general worker is SIGKILLed mid-step, with one registry version and no stray artifact', async ({ annotate }) => {
    const workflowId = `topology-failover-${Date.now()}`;
    const handle = await env.client.workflow.start('pipeline', { taskQueue: queue, workflowId, args: [{ spec: await failoverSpec() }] });
    const { activity, victim } = await killWhereAStepRuns(handle);
    expect(victim.child.signalCode).toBe('SIGKILL');
    await annotate(`SIGKILLed ${victim.name} while it ran ${activity}`);
    // The training-only worker joins now and competes with the surviving general worker for the retry.
    await trainingOnlyWorker();

    const result = (await handle.result()) as PipelineResult;
    expect(result.outcome).toBe('promoted');
    expect(result.steps.map((s) => [s.id, s.state])).toEqual([
      ['ingest', 'succeeded'],
      ['validate', 'succeeded'],
      ['train', 'succeeded'],
      ['evaluate', 'succeeded'],
      ['register', 'succeeded'],
      ['promote', 'succeeded'],
    ]);
    // The killed attempt was lost; a later attempt on a live worker finished the step.
    expect(result.steps.find((s) => s.id === activity)?.attempts).toBeGreaterThanOrEqual(2);

    const registry = new SqliteModelRegistry({ path: path.join(dataDir, 'registry.sqlite') });
    try {
      const versions = await registry.listVersions('flight-delay');
      expect(versions.map((v) => [v.version, v.lineage.workflowId])).toEqual([[1, workflowId]]);
      expect((await registry.getAlias('flight-delay', 'champion'))?.version).toBe(1);
    } finally {
      await registry.close();
    }

    // Every stored artifact is one the run's outputs name: the lost attempt left no second copy behind.
    const referenced = new Set(Object.values(result.outputs).flatMap((o) => Object.values(o.artifacts).map((a) => a.sha256)));
    expect(await storedDigests(path.join(dataDir, 'artifacts'))).toEqual([...referenced].sort());

    // What the killed worker had in scratch goes when a worker starts on this host again; a live
    // worker's stays. One folder of each is planted, should the kill have hit a step without one.
    const scratch = path.join(dataDir, 'artifacts', 'scratch');
    const live = workers.find((w) => w.name.startsWith('general') && w !== victim)!;
    await mkdir(path.join(scratch, `train-train${ownerTag(os.hostname(), victim.child.pid)}-e2eAAA`), { recursive: true });
    await mkdir(path.join(scratch, `train-train${ownerTag(os.hostname(), live.child.pid)}-e2eBBB`), { recursive: true });
    const owned = async (pid: number | undefined) => (await readdir(scratch)).filter((name) => name.includes(`.${pid}-`));
    const left = await owned(victim.child.pid);
    const restarted = await spawnWorker('general-restarted', { ...common, SLIPWAY_WORKER_QUEUES: 'all' });
    workers.push(restarted);
    expect(await owned(victim.child.pid)).toEqual([]);
    expect(restarted.logs.find((l) => l.includes('removed what ended processes left'))).toContain('e2eAAA');
    expect(await owned(live.child.pid)).toContain(`train-train${ownerTag(os.hostname(), live.child.pid)}-e2eBBB`);
    await annotate(`the restarted worker removed the killed one's scratch: ${left.join(', ')}`);
  }, 300_000);

  it('lets the training-only worker poll the training queue and nothing else', async () => {
    const trainingOnly = await trainingOnlyWorker();
    const pollers = async (name: string, type: temporal.api.enums.v1.TaskQueueType) =>
      (
        await env.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name }, taskQueueType: type })
      ).pollers?.map((p) => p.identity) ?? [];
    const { TASK_QUEUE_TYPE_ACTIVITY: ACTIVITY, TASK_QUEUE_TYPE_WORKFLOW: WORKFLOW } = temporal.api.enums.v1.TaskQueueType;
    // A worker just started may not have sent its first poll yet.
    await expect.poll(() => pollers(`${queue}-training`, ACTIVITY), { timeout: 10_000 }).toContain(trainingOnly.identity);
    for (const [name, type] of [[`${queue}-data`, ACTIVITY], [`${queue}-deployment`, ACTIVITY], [queue, ACTIVITY], [queue, WORKFLOW]] as const) {
      expect(await pollers(name, type)).not.toContain(trainingOnly.identity);
    }
  });
});
