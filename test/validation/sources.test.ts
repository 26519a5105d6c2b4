/**
 * Ingest's sources, on files written by the test: globs of daily partitions in every format,
 * replay windows, and a label column used as it is.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSnapshot } from '../../src/activities/ingest';
import { validateSnapshots } from '../../src/activities/validate';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { effectiveWindow } from '../../src/data/source-path';
import { isSlipwayError } from '../../src/errors';
import { ingestParamsSchema, validateParamsSchema } from '../../src/pipeline/step-params';
import type { StepRequest } from '../../src/pipeline/types';
import { ingestParams, writeFlights } from './flight-files';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';

describe('ingest sources', () => {
  let dir: string;
  let store: LocalArtifactStore;
  const noChampion = { getAlias: async () => undefined };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-sources-'));
    store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const ingest = (params: Record<string, unknown>) => ingestSnapshot({ store, duckdbThreads: 1, dataRoots: { roots: [dir], ...SOURCE_LIMIT_DEFAULTS } }, ingestParamsSchema.parse(params), 'ingest');
  const days = ['2001-03-01', '2001-03-02', '2001-03-03'];

  describe.each(['parquet', 'csv', 'ndjson'])('one %s file per day', (format) => {
    it('reads every file the glob matches, within the window', async () => {
      const folder = path.join(dir, `daily-${format}`);
      await mkdir(folder, { recursive: true });
      for (const [i, day] of days.entries()) {
        await writeFlights(path.join(folder, `flights-${day}.${format}`), 'clean', { window: { from: day, to: `2001-03-0${i + 2}` } });
      }
      const out = await ingest(ingestParams(path.join(folder, 'flights-*.' + format), { from: '2001-03-02', to: '2001-03-04' }));
      expect(out.summary).toMatchObject({ sourceFiles: 3, window: { from: '2001-03-02 00:00:00', to: '2001-03-04 00:00:00' } });
      // 2 March and 3 March: 17,069 + 14,997 flights.
      expect(Number(out.summary.trainRows) + Number(out.summary.holdoutRows)).toBe(32_066);
      expect(out.artifacts.train.meta?.source).toMatchObject({ format, files: 3 });
    });
  });

  it('serves a replay window: the day before a virtual now', async () => {
    const file = await writeFlights(path.join(dir, 'replay.parquet'), 'clean', { window: { from: '2001-03-01', to: '2001-03-04' } });
    const out = await ingest({ ...ingestParams(file, {}), source: { path: file, replay: { now: '2001-03-03', window: '1 day' } } });
    expect(out.summary).toMatchObject({ window: { from: '2001-03-02 00:00:00', to: '2001-03-03 00:00:00' }, replay: { now: '2001-03-03', window: '1 day' } });
    expect(Number(out.summary.trainRows) + Number(out.summary.holdoutRows)).toBe(17_069);
  });

  it('intersects a replay window with the window', () => {
    expect(effectiveWindow({ from: '2001-03-05' }, { now: '2001-03-08T12:00:00Z', window: '1w' })).toEqual({ from: '2001-03-05 00:00:00', to: '2001-03-08 12:00:00' });
    expect(effectiveWindow({}, { now: '2001-03-08', window: '12 hours' })).toEqual({ from: '2001-03-07 12:00:00', to: '2001-03-08 00:00:00' });
  });

  it('says when a glob matches nothing', async () => {
    const err = await ingest(ingestParams(path.join(dir, 'nothing-*.parquet'))).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.name).toBe('DataSourceError');
    expect((err as Error).message).toMatch(/^source\.path: no file matches ".*nothing-\*\.parquet"/);
  });

  it('names the line of a CSV parse error without quoting the row (step errors reach every viewer)', async () => {
    const file = path.join(dir, 'ragged.csv');
    const rows = Array.from({ length: 30_000 }, (_, i) => `2001-03-01 00:00:00,${i},ORD,JFK,1`).join('\n');
    await writeFile(file, `date,distance,origin,destination,delay\n${rows}\n2001-03-01 00:00:00,1,ORD,JFK,1,row-secret-value\n`);
    const err = await ingest(ingestParams(file, {})).catch((e: unknown) => e as Error);
    expect((err as Error).message).toMatch(/CSV Error on Line: 30002/);
    expect((err as Error).message).not.toContain('row-secret-value');
  });

  it('takes a 0/1 label column as it is, and validation names any other value', async () => {
    const file = path.join(dir, 'labels.csv');
    await withDuckDb({ threads: 1 }, (conn) =>
      conn.run(`COPY (SELECT date, distance, origin, destination, CASE WHEN hash(date, origin) % 500 = 0 THEN 2 ELSE CAST(delay > 15 AS INTEGER) END AS late
        FROM read_parquet(${sqlString(path.join(dir, 'replay.parquet'))})) TO ${sqlString(file)} (FORMAT csv, HEADER true)`),
    );
    const out = await ingest({ ...ingestParams(file, {}), label: { name: 'label', column: 'late' } });
    const req: StepRequest = { ctx: { workflowId: 'w', runId: 'r', stepId: 'validate', pipeline: 'p', model: 'labels', specDigest: 'd' }, params: {}, inputs: { ingest: { kind: 'ingest', ...out } } };
    const err = await validateSnapshots({ store, duckdbThreads: 1, registry: noChampion }, req, validateParamsSchema.parse({})).catch((e: unknown) => e);
    expect((err as Error).name).toBe('DataValidationFailed');
    expect((err as Error).message).toMatch(/labelValues\(label\): \d+ rows have a label other than 0\/1 \(e\.g\. "2"\)/);
  });
});
