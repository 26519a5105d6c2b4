/**
 * s3:// and gs:// sources end to end: a real S3-compatible server (moto) holding a week of the
 * vega-datasets flights as Parquet, a real dev server and worker reading it through DuckDB's
 * httpfs with credentials from the worker's SLIPWAY_SOURCE_SECRETS (none in the spec), through
 * validate, train, evaluate, register and promote; the same input again hits the step cache on
 * the object's ETag, a rewritten object misses it; a bucket off the allow-list fails with the
 * registry untouched. gs:// uses a GCS HMAC secret pointed at the same server (moto speaks S3's
 * protocol, which GCS's XML API shares); real Google Cloud Storage is not reached from here.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { installHttpfs } from '../helpers/duckdb-extensions';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { installS3Server, startS3Server, type S3Server } from '../helpers/s3-test-server';
import { startDevServer } from '../helpers/temporal-env';
import { ingestSnapshot } from '../../src/activities/ingest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { createSourceFingerprint } from '../../src/cache/source-fingerprint';
import { ingestParamsSchema } from '../../src/pipeline/step-params';
import type { StepRequest } from '../../src/pipeline/types';
import { ingestParams, writeFlights } from '../validation/flight-files';

// As test/pipeline.e2e.test.ts: nine days, enough rows for flight-delay's gates.
const WEEK = { from: '2001-03-01', to: '2001-03-10' };
const OBJECT = 's3://slipway-lake/flights/2001-03.parquet';

describe('remote sources on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let s3server: S3Server;
  let s3: S3Client;
  let dir: string;
  let registry: SqliteModelRegistry;

  const upload = async (bucket: string, key: string, file: string) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }));
  const run = async (input: unknown) => {
    const handle = await env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId: `remote-${Math.random().toString(36).slice(2)}`, args: [input] });
    return (await handle.result()) as PipelineResult;
  };
  const onS3 = (sourcePath: string) => ({ pipeline: 'flight-delay-builtin', overrides: { ingest: { source: { path: sourcePath }, window: WEEK } } });

  beforeAll(async () => {
    installHttpfs();
    installS3Server();
    [s3server, env] = await Promise.all([startS3Server(), startDevServer()]);
    s3 = new S3Client({ endpoint: s3server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    for (const bucket of ['slipway-lake', 'slipway-lake-gcs', 'not-allowed']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-s3-source-'));
    const week = await writeFlights(path.join(dir, 'week.parquet'), 'clean', { window: WEEK });
    await upload('slipway-lake', 'flights/2001-03.parquet', week);
    await upload('slipway-lake-gcs', 'flights/2001-03.parquet', week);
    await upload('not-allowed', 'flights/2001-03.parquet', week);
    const endpoint = new URL(s3server.endpoint).host;
    const server = { keyId: 'test', secret: 'test', endpoint, urlStyle: 'path', useSsl: false };
    h = await startHarness(env, {
      SLIPWAY_REMOTE_SOURCES: 's3://slipway-lake,gs://slipway-lake-gcs',
      SLIPWAY_SOURCE_SECRETS: JSON.stringify({
        lake: { type: 's3', scope: 's3://slipway-lake', region: 'us-east-1', ...server },
        lake_gcs: { type: 'gcs', scope: 'gs://slipway-lake-gcs', ...server },
      }),
    });
    registry = new SqliteModelRegistry({ path: h.config.registryPath });
  });

  afterAll(async () => {
    await registry?.close();
    await h?.close();
    await env?.teardown();
    await s3server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('ingests s3://bucket/…parquet and promotes the model trained on it', async () => {
    const result = await run(onS3(OBJECT));
    expect(result.outcome, JSON.stringify(result.outputs.evaluate?.summary.reasons ?? result.outputs.promote?.summary)).toBe('promoted');
    expect(result.steps.map((s) => [s.id, s.state])).toEqual([
      ['ingest', 'succeeded'],
      ['validate', 'succeeded'],
      ['train', 'succeeded'],
      ['evaluate', 'succeeded'],
      ['register', 'succeeded'],
      ['promote', 'succeeded'],
    ]);
    const ingest = result.outputs.ingest.summary;
    expect(ingest.source).toBe(OBJECT);
    // A week of March 2001: over 100k flights.
    expect(Number(ingest.trainRows) + Number(ingest.holdoutRows)).toBeGreaterThan(100_000);
    const champion = await registry.getAlias('flight-delay', 'champion');
    expect(champion?.lineage.dataDigest).toBe(ingest.dataDigest);
  });

  it('reuses the ingest for an unchanged object and re-reads a rewritten one', async () => {
    const again = await run(onS3(OBJECT));
    expect(again.steps.find((s) => s.id === 'ingest')?.state).toBe('cached');
    // Same rows, different object bytes (uncompressed, so a new ETag): the cache must not answer for it.
    const rewritten = path.join(dir, 'week-uncompressed.parquet');
    await withDuckDb({ threads: 1 }, (conn) =>
      conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(path.join(dir, 'week.parquet'))})) TO ${sqlString(rewritten)} (FORMAT parquet, COMPRESSION uncompressed)`),
    );
    await upload('slipway-lake', 'flights/2001-03.parquet', rewritten);
    const changed = await run(onS3(OBJECT));
    expect(changed.steps.find((s) => s.id === 'ingest')?.state).toBe('succeeded');
  });

  it('reads a bucket glob as one source, every object in name order, keyed per object', async () => {
    const half = (from: string, to: string, name: string) => writeFlights(path.join(dir, name), 'clean', { window: { from, to } });
    await upload('slipway-lake', 'parts/2001-03-a.parquet', await half('2001-03-01', '2001-03-05', 'a.parquet'));
    await upload('slipway-lake', 'parts/2001-03-b.parquet', await half('2001-03-05', '2001-03-10', 'b.parquet'));
    const params = ingestParamsSchema.parse({ ...ingestParams('s3://slipway-lake/parts/*.parquet', WEEK) });
    const store = new LocalArtifactStore({ root: path.join(dir, 'glob-store') });
    const out = await ingestSnapshot({ store, duckdbThreads: 1, dataRoots: h.config.dataRoots }, params, 'glob');
    const whole = await ingestSnapshot({ store, duckdbThreads: 1, dataRoots: h.config.dataRoots }, ingestParamsSchema.parse(ingestParams(OBJECT, WEEK)), 'whole');
    expect(out.summary.sourceFiles).toBe(2);
    expect(out.summary.trainRows + out.summary.holdoutRows).toBe(whole.summary.trainRows + whole.summary.holdoutRows);
    const key = (await createSourceFingerprint(h.config.dataRoots)({} as StepRequest, params)) as { remote: { objects: Array<[string, unknown]> } };
    expect(key.remote.objects.map(([name]) => name)).toEqual(['2001-03-a.parquet', '2001-03-b.parquet']);
    const limited = { ...h.config.dataRoots, maxFiles: 1 };
    await expect(ingestSnapshot({ store, duckdbThreads: 1, dataRoots: limited }, params, 'limited')).rejects.toThrow(/matches more than 1 objects \(limit SLIPWAY_SOURCE_MAX_FILES\)/);
  });

  it('reads gs:// with a GCS HMAC secret from the worker', async () => {
    const result = await run({ pipeline: 'flight-delay-builtin', model: 'flight-delay-gcs', overrides: { ingest: { source: { path: 'gs://slipway-lake-gcs/flights/2001-03.parquet' }, window: WEEK } } });
    expect(result.outcome, JSON.stringify(result.outputs.evaluate?.summary.reasons ?? result.outputs.promote?.summary)).toBe('promoted');
    expect(result.outputs.ingest.summary.source).toBe('gs://slipway-lake-gcs/flights/2001-03.parquet');
    expect(Number(result.outputs.ingest.summary.trainRows)).toBeGreaterThan(80_000);
  });

  it('fails a run on a bucket off the allow-list, naming the rule, with the registry untouched', async () => {
    const before = await registry.listVersions('flight-delay');
    const err = await run(onS3('s3://not-allowed/flights/2001-03.parquet')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const text = JSON.stringify((err as WorkflowFailedError).cause, Object.getOwnPropertyNames((err as WorkflowFailedError).cause ?? {}));
    expect(text).toMatch(/s3:\/\/not-allowed is not an allowed remote source \(allowed: s3:\/\/slipway-lake, gs:\/\/slipway-lake-gcs\)/);
    expect(await registry.listVersions('flight-delay')).toEqual(before);
  });
});
