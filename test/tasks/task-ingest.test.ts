/**
 * The ingest step with each task's label, on the Seattle weather data vega-datasets ships
 * (1,461 days, 2012–2015; weather is one of drizzle, fog, rain, snow, sun).
 */
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSnapshot } from '../../src/activities/ingest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { isSlipwayError } from '../../src/errors';
import { ingestParamsSchema } from '../../src/pipeline/step-params';
import type { StepOutputBody } from '../../src/pipeline/types';

const SOURCE = path.join(__dirname, '../../node_modules/vega-datasets/data/seattle-weather.csv');

describe('ingest with binary, multiclass and regression labels (Seattle weather)', () => {
  let dir: string;
  let file: string;
  let store: LocalArtifactStore;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-task-ingest-'));
    file = path.join(dir, 'seattle-weather.csv');
    await copyFile(SOURCE, file);
    store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const ingest = (label: Record<string, unknown>) =>
    ingestSnapshot(
      { store, duckdbThreads: 1, dataRoots: { roots: [dir], ...SOURCE_LIMIT_DEFAULTS } },
      ingestParamsSchema.parse({
        source: { path: file },
        timeColumn: 'date',
        features: [
          { name: 'precipitation', column: 'precipitation' },
          { name: 'temp_min', column: 'temp_min' },
          { name: 'wind', column: 'wind' },
          { name: 'month', column: 'date', transform: 'month' },
        ],
        label,
        split: { strategy: 'time', holdoutFraction: 0.25 },
      }),
      'ingest',
    );

  /** Label values of both snapshots, with the source's own column beside them, read back by DuckDB. */
  async function readBack(out: StepOutputBody<'ingest'>, sourceColumn: string) {
    return withDuckDb({ threads: 1 }, async (conn) => {
      const files = await Promise.all([out.artifacts.train, out.artifacts.holdout].map(async (a) => sqlString(await store.localPath(a))));
      return queryRows(
        conn,
        `SELECT s.label, src.${sourceColumn} AS source FROM read_parquet([${files.join(', ')}]) s
         JOIN read_csv(${sqlString(file)}) src ON src.date = s.event_time::DATE ORDER BY s.event_time`,
      );
    });
  }

  it('weather == "rain" is a binary 0/1 label, 641 rainy days, with positive rates recorded', async () => {
    const out = await ingest({ expression: 'weather == "rain"' });
    const rows = await readBack(out, 'weather');
    expect(rows).toHaveLength(1461);
    expect(rows.every((r) => r.label === (r.source === 'rain' ? 1 : 0))).toBe(true);
    expect(rows.filter((r) => r.label === 1)).toHaveLength(641);
    expect(out.artifacts.train.meta?.task).toBeUndefined();
    expect(out.summary.trainPositiveRate).toBeGreaterThan(0.3);
  });

  it('weather in ["rain", "drizzle"] counts 694 wet days', async () => {
    const rows = await readBack(await ingest({ column: 'weather', op: 'in', value: ['rain', 'drizzle'] }), 'weather');
    expect(rows.filter((r) => r.label === 1)).toHaveLength(641 + 53);
  });

  it('a multiclass weather label keeps the class names and records the sorted class list', async () => {
    const out = await ingest({ column: 'weather', task: 'multiclass' });
    const rows = await readBack(out, 'weather');
    expect(rows.every((r) => r.label === r.source)).toBe(true);
    expect(out.artifacts.train.meta).toMatchObject({ task: 'multiclass', classes: ['drizzle', 'fog', 'rain', 'snow', 'sun'], positiveRate: null });
    expect(out.artifacts.holdout.meta?.classes).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
  });

  it('pinned classes turn an unseen class into a counted conversion failure, naming the column and value', async () => {
    const out = await ingest({ column: 'weather', task: 'multiclass', classes: ['drizzle', 'fog', 'rain', 'sun'] });
    expect(out.artifacts.train.meta?.classes).toEqual(['drizzle', 'fog', 'rain', 'sun']);
    expect(out.artifacts.train.meta?.conversionFailures).toEqual({ label: { column: 'weather', count: 26, rows: 1461, example: 'snow' } });
  });

  it('a regression target on temp_max is the number itself', async () => {
    const out = await ingest({ column: 'temp_max', task: 'regression' });
    const rows = await readBack(out, 'temp_max');
    expect(rows.every((r) => r.label === r.source)).toBe(true);
    expect(out.artifacts.train.meta).toMatchObject({ task: 'regression', positiveRate: null });
  });

  it('refuses a label column the source lacks, naming it and the field, and stores nothing', async () => {
    const before = await readdir(path.join(dir, 'artifacts'), { recursive: true });
    const err = await ingest({ expression: 'weathr == "rain"' }).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.name).toBe('DataSourceError');
    expect((err as Error).message).toMatch(/has no column label\.column "weathr"/);
    expect((await readdir(path.join(dir, 'artifacts'), { recursive: true })).sort()).toEqual(before.sort());
  });

  it('refuses a bad label in the spec before anything runs, naming the field and value', () => {
    const parsed = ingestParamsSchema.safeParse({ source: { path: file }, timeColumn: 'date', features: [{ name: 'wind', column: 'wind' }], label: { expression: "weather == 'rain'" } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['label', 'expression'], message: expect.stringMatching(/value "'rain'" is not a literal; quote text with double quotes/) });
  });
});
