import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../data/duckdb';
import { histogramTotal } from './histogram';
import { numericGrid, profileFiles, readFooterStats, type ColumnPlan } from './profile';

describe('profiles of Parquet files', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-profile-'));
    file = path.join(dir, 'rows.parquet');
    // 1,000 rows: x = i / 10 (one null, one NaN, one +Inf), n an integer 0..9, c a category (10 nulls), and 50 rows repeated.
    await withDuckDb({ threads: 1 }, (conn) =>
      conn.run(`COPY (
        SELECT CASE i WHEN 0 THEN NULL WHEN 1 THEN 'NaN'::DOUBLE WHEN 2 THEN 'Infinity'::DOUBLE ELSE i / 10 END AS x,
               i % 10 AS n, CASE WHEN i < 10 THEN NULL ELSE 'c' || (i % 7) END AS c
        FROM range(950) t(i) UNION ALL SELECT i / 10, i % 10, 'c' || (i % 7) FROM range(900, 950) t(i)
      ) TO ${sqlString(file)} (FORMAT parquet)`),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const profile = (plan: ColumnPlan[]) =>
    withDuckDb({ threads: 1 }, async (conn) => profileFiles(conn, [file], plan, await readFooterStats(conn, [file]), { duplicateColumns: ['x', 'n', 'c'] }));

  it('counts nulls, NaN and infinities as missing, and takes exact min/max from the data', async () => {
    const p = await profile([{ name: 'x', type: 'DOUBLE', kind: 'numeric', ...numericGrid('DOUBLE', 0, 95) }]);
    expect(p.rows).toBe(1000);
    expect(p.columns.x).toMatchObject({ nulls: 3, min: 0.3, max: 94.9 });
    expect(histogramTotal(p.columns.x.histogram!)).toBe(997);
  });

  it('counts whole numbers exactly', async () => {
    const p = await profile([{ name: 'n', type: 'BIGINT', kind: 'numeric', ...numericGrid('BIGINT', 0, 9) }]);
    expect(p.columns.n.histogram).toEqual({ quantum: 1, exact: true, bins: Array.from({ length: 10 }, (_, i) => [i, 100]) });
  });

  it('hashes categories into buckets when asked, keeping nulls apart', async () => {
    const p = await profile([{ name: 'c', type: 'VARCHAR', kind: 'categorical', hashBuckets: 4096 }]);
    expect(p.columns.c.nulls).toBe(10);
    expect(p.columns.c.categories).toHaveLength(7);
    expect(p.columns.c.categories!.every(([k]) => k.startsWith('#'))).toBe(true);
  });

  it('counts duplicated rows', async () => {
    const p = await profile([]);
    expect(p.duplicates).toEqual({ sampledRows: 1000, duplicateRows: 50, modulus: 1 });
  });
});
