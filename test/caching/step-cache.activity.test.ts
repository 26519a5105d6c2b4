/**
 * The step wrapper with the content cache, one activity at a time: what is a hit, what is a
 * miss, and that nothing stale is ever reused. Real artifact store and cache files; stub step
 * bodies (so these rules are tested apart from the step kinds), plus the real ingest.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { defineStep, type StepOptions } from '../../src/activities/step-activity';
import { findArtifact } from '../../src/activities/upstream';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { FileStepCache } from '../../src/cache/file-step-cache';
import { createLogger } from '../../src/logger';
import type { StepOutput, StepRequest, StepResult } from '../../src/pipeline/types';
import type { IngestSummary, TrainSummary, ValidateSummary } from '../../src/pipeline/step-summaries';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import { FileStepRecords } from '../../src/step-records/file-step-records';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';

const run = (fn: (req: StepRequest) => Promise<StepResult>, req: StepRequest): Promise<StepResult> =>
  new MockActivityEnvironment({ attempt: 1 }).run(fn, req) as Promise<StepResult>;

let runs = 0;
/** A fresh workflow run per request, as each pipeline run would be. */
const ctx = () => {
  runs += 1;
  return { workflowId: `wf-${runs}`, runId: `run-${runs}`, stepId: 'train', pipeline: 'p', model: 'm', specDigest: 'd' };
};

describe('step cache in the activity wrapper', () => {
  let dir: string;
  let store: LocalArtifactStore;
  let cache: FileStepCache;
  let executions: number;
  let upstream: Record<string, StepOutput>;
  const logger = createLogger('silent');

  /** A train-kind step whose body counts executions and stores one model artifact. */
  const trainLike = (options: StepOptions<{ epochs: number }> = {}, body?: (req: StepRequest) => void) =>
    defineStep(
      { logger, stepRecords: new FileStepRecords(path.join(dir, 'records')), stepCache: cache, store },
      'train',
      (p) => ({ epochs: Number(p.epochs ?? 1) }),
      async (req, params) => {
        executions += 1;
        body?.(req);
        const train = findArtifact(req.inputs, 'train');
        const model = await store.putBytes(`model of ${train.sha256}, ${params.epochs} epochs`, { name: 'model', mediaType: 'application/onnx' });
        return { artifacts: { model }, summary: { epochs: params.epochs } as unknown as TrainSummary };
      },
      options,
    );
  const request = (params: Record<string, unknown> = { epochs: 1 }, mode: 'use' | 'rerun' | 'none' = 'use'): StepRequest => ({
    ctx: ctx(),
    params,
    inputs: upstream,
    ...(mode !== 'none' && { cache: { mode } }),
  });

  beforeEach(async () => {
    runs = 0;
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-cache-act-'));
    store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
    cache = new FileStepCache(path.join(dir, 'cache'));
    executions = 0;
    const train = await store.putBytes('train rows', { name: 'train', mediaType: 'application/vnd.apache.parquet' });
    const holdout = await store.putBytes('holdout rows', { name: 'holdout', mediaType: 'application/vnd.apache.parquet' });
    const report = await store.putBytes('{"passed":true}', { name: 'validation-report', mediaType: 'application/json' });
    upstream = {
      ingest: { kind: 'ingest', artifacts: { train, holdout }, summary: {} as IngestSummary },
      validate: { kind: 'validate', artifacts: { 'validation-report': report }, summary: {} as ValidateSummary },
    };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('reuses the output of an earlier run with the same content and names the run that produced it', async () => {
    const step = trainLike();
    const first = await run(step, request());
    expect(first.cache).toEqual({ outcome: 'miss', key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const second = await run(step, request());
    expect(executions).toBe(1);
    expect(second).toEqual({
      kind: 'train',
      artifacts: first.artifacts,
      summary: first.summary,
      attempt: 1,
      cache: {
        outcome: 'hit',
        key: first.cache?.key,
        producedBy: { workflowId: 'wf-1', runId: 'run-1', stepId: 'train', at: expect.any(String) },
      },
    });
  });

  it('runs again when a parameter or an input digest changes, but not when upstream steps are renamed', async () => {
    const step = trainLike();
    await run(step, request());
    await run(step, request({ epochs: 2 }));
    expect(executions).toBe(2);
    upstream = { 'load-flights': upstream.ingest, 'check-data': upstream.validate };
    expect((await run(step, request())).cache?.outcome).toBe('hit');
    const other = await store.putBytes('other train rows', { name: 'train', mediaType: 'application/vnd.apache.parquet' });
    upstream = { ingest: { kind: 'ingest', summary: {} as IngestSummary, artifacts: { ...upstream['load-flights'].artifacts, train: other } } };
    expect((await run(step, request())).cache?.outcome).toBe('miss');
    expect(executions).toBe(3);
  });

  it('treats a cached output whose artifact is gone as a miss, and runs the step', async () => {
    const step = trainLike();
    const first = await run(step, request());
    await rm(path.join(dir, 'artifacts', 'sha256', first.artifacts.model.sha256.slice(0, 2)), { recursive: true });
    const second = await run(step, request());
    expect(second.cache?.outcome).toBe('miss');
    expect(executions).toBe(2);
    await expect(store.localPath(second.artifacts.model)).resolves.toBeTruthy();
  });

  it('runs a step the run forces to rerun, and its output replaces the cached one', async () => {
    const step = trainLike();
    const first = await run(step, request());
    const forced = await run(step, request({ epochs: 1 }, 'rerun'));
    expect(executions).toBe(2);
    expect(forced.cache).toEqual({ outcome: 'rerun', key: first.cache?.key });
    expect((await run(step, request())).cache?.producedBy?.workflowId).toBe('wf-2');
  });

  it('neither reads nor writes the cache without a cache directive (cache: false, register, promote)', async () => {
    const step = trainLike();
    const plain = await run(step, request({ epochs: 1 }, 'none'));
    expect(plain.cache).toBeUndefined();
    expect((await run(step, request())).cache?.outcome).toBe('miss');
    expect(executions).toBe(2);
  });

  it('does not cache a step that read an upstream artifact its kind does not declare', async () => {
    const step = trainLike({}, (req) => findArtifact(req.inputs, 'validation-report'));
    const first = await run(step, request());
    expect(first.cache).toMatchObject({
      outcome: 'uncacheable',
      reason: expect.stringMatching(/validation-report not declared in STEP_KINDS\.train\.reads/),
    });
    await run(step, request());
    expect(executions).toBe(2);
  });

  it('keys on external inputs, and does not cache when they changed while the step ran', async () => {
    let champion = 1;
    const step = trainLike({ cacheInputs: async () => ({ champion }) });
    await run(step, request());
    expect((await run(step, request())).cache?.outcome).toBe('hit');
    champion = 2;
    expect((await run(step, request())).cache?.outcome).toBe('miss');
    const racing = trainLike({ cacheInputs: async () => ({ champion: (champion += 1) }) });
    expect((await run(racing, request())).cache).toMatchObject({ outcome: 'uncacheable', reason: expect.stringMatching(/changed while the step ran/) });
  });
});

describe('ingest keyed on its source file content', () => {
  let dir: string;
  let registry: SqliteModelRegistry;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-cache-ingest-'));
    registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
  });
  afterEach(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  /** 300 flights over nine days of March 2001; `shift` changes the delays. */
  const csv = (shift: number) =>
    [
      'ts,distance,delay',
      ...Array.from({ length: 300 }, (_, i) => {
        const day = String(1 + (i % 9)).padStart(2, '0');
        const hour = String(i % 24).padStart(2, '0');
        return `2001-03-${day} ${hour}:00:00,${100 + i},${(i * 7 + shift) % 40}`;
      }),
    ].join('\n');

  it('hits while the source bytes are unchanged and runs again after they change', async () => {
    const source = path.join(dir, 'flights.csv');
    await writeFile(source, csv(0));
    const { ingest } = createActivities({
      logger: createLogger('silent'),
      store: new LocalArtifactStore({ root: path.join(dir, 'artifacts') }),
      registry,
      stepRecords: new FileStepRecords(path.join(dir, 'records')),
      stepCache: new FileStepCache(path.join(dir, 'cache')),
      pipelinesDir: dir,
      duckdbThreads: 1,
      dataRoots: { roots: [os.tmpdir()], ...SOURCE_LIMIT_DEFAULTS },
    });
    const req = (): StepRequest => ({
      ctx: { ...ctx(), stepId: 'ingest' },
      params: {
        source: { path: source },
        timeColumn: 'ts',
        features: [{ name: 'distance', column: 'distance', transform: 'double' }],
        label: { column: 'delay', op: 'gt', value: 15 },
      },
      inputs: {},
      cache: { mode: 'use' },
    });
    const first = await run(ingest, req());
    expect(first.cache?.outcome).toBe('miss');
    expect((await run(ingest, req())).cache?.outcome).toBe('hit');
    await writeFile(source, csv(3));
    const changed = await run(ingest, req());
    expect(changed.cache?.outcome).toBe('miss');
    expect(changed.artifacts.train.sha256).not.toBe(first.artifacts.train.sha256);
  });
});
