/**
 * A step retried after a crash must not repeat its side effects. Two layers guard this:
 * the step record (normal retry), and the registry's own idempotency key (a crash after
 * the registry write but before the step record was saved).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../src/activities';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { createLogger } from '../src/logger';
import type { StepKindName } from '../src/pipeline/step-kinds';
import type { TrainSummary } from '../src/pipeline/step-summaries';
import type { StepOutput, StepRequest, StepResult } from '../src/pipeline/types';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { FileStepRecords } from '../src/step-records/file-step-records';
import type { StepRecords } from '../src/step-records/step-records';
import { SOURCE_LIMIT_DEFAULTS } from '../src/data/data-roots';
import { snapshotMeta } from '../src/validation/snapshot-meta';

/** Runs a step activity in a mock activity context as the given attempt. */
const runStep = <K extends StepKindName>(fn: (req: StepRequest) => Promise<StepResult<K>>, req: StepRequest, attempt = 1): Promise<StepResult<K>> =>
  new MockActivityEnvironment({ attempt }).run(fn, req) as Promise<StepResult<K>>;

/** Step records that lose every write, as if the worker died right after the work. */
const forgetfulRecords: StepRecords = { get: async () => undefined, put: async () => undefined };

describe('step idempotency', () => {
  let dir: string;
  let registry: SqliteModelRegistry;
  let store: LocalArtifactStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-idem-'));
    registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
    store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  });
  afterEach(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const activities = (stepRecords: StepRecords) =>
    createActivities({ logger: createLogger('silent'), store, registry, stepRecords, pipelinesDir: path.join(__dirname, '..', 'pipelines'), duckdbThreads: 1, dataRoots: { roots: [os.tmpdir()], ...SOURCE_LIMIT_DEFAULTS } });

  const ingestRequest: StepRequest = {
    ctx: { workflowId: 'wf-1', runId: 'run-1', stepId: 'ingest', pipeline: 'flight-delay', model: 'm', specDigest: 'd' },
    params: {
      source: { path: 'package:vega-datasets/data/flights-3m.parquet' },
      timeColumn: 'date',
      window: { from: '2001-01-01', to: '2001-01-02' },
      features: [{ name: 'hour', column: 'date', transform: 'hour' }, { name: 'origin', column: 'origin' }],
      label: { column: 'delay', op: 'gt', value: 15 },
    },
    inputs: {},
  };

  it('a retried ingest whose record was lost stores no second copy of its snapshots', async () => {
    const { ingest } = activities(forgetfulRecords);
    const first = await runStep(ingest, ingestRequest, 1);
    const second = await runStep(ingest, ingestRequest, 2);
    expect(second.artifacts.train.sha256).toBe(first.artifacts.train.sha256);
    expect(second.artifacts.holdout.sha256).toBe(first.artifacts.holdout.sha256);
    const files = (await readdir(path.join(dir, 'artifacts', 'sha256'), { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    // The two snapshots and the label's source-value counts, each stored once.
    const counts = snapshotMeta(first.artifacts.train).labelSource!.counts;
    expect(snapshotMeta(second.artifacts.train).labelSource!.counts.sha256).toBe(counts.sha256);
    expect(files).toHaveLength(3);
  });

  it('a retried register whose record was lost returns the version it created', async () => {
    const { ingest, register } = activities(forgetfulRecords);
    const ingested = await runStep(ingest, ingestRequest);
    const model = await store.putBytes('not really onnx', { name: 'model', mediaType: 'application/onnx' });
    const inputs: Record<string, StepOutput> = {
      ingest: ingested,
      train: { kind: 'train', artifacts: { model }, summary: { trainer: 'builtin-logistic-regression', params: {} } as TrainSummary },
    };
    const req: StepRequest = { ...ingestRequest, ctx: { ...ingestRequest.ctx, stepId: 'register' }, params: {}, inputs };
    const first = await runStep(register, req, 1);
    const second = await runStep(register, req, 2);
    expect(second.summary.version).toBe(first.summary.version);
    expect(await registry.listVersions('m')).toHaveLength(1);
    // Another run of the same pipeline is a new version.
    const other = await runStep(register, { ...req, ctx: { ...req.ctx, runId: 'run-2' } });
    expect(other.summary.version).toBe(2);
  });

  it('a retried step returns its recorded output without redoing the work', async () => {
    const records = new FileStepRecords(path.join(dir, 'records'));
    const { ingest } = activities(records);
    const first = await runStep(ingest, ingestRequest, 1);
    // Remove the snapshots: a step that redid its work would write them again.
    await rm(path.join(dir, 'artifacts', 'sha256'), { recursive: true });
    const second = await runStep(ingest, ingestRequest, 2);
    expect(second).toEqual({ ...first, attempt: 2 });
    await expect(readdir(path.join(dir, 'artifacts', 'sha256'))).rejects.toThrow(/ENOENT/);
  });
});
