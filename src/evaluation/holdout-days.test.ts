import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../data/duckdb';
import { writeFlightsWindow } from '../data/flights-window';
import { readHoldoutDays } from './holdout-days';

describe('readHoldoutDays on real flights and DuckDB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-days-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('gives each row its UTC day in file order, the order models score the rows in', async () => {
    const file = path.join(dir, 'flights.parquet');
    const rows = await writeFlightsWindow(file, '2001-03-12', '2001-03-15');
    const days = (await readHoldoutDays(file))!;
    expect(days).toHaveLength(rows);
    const first = Date.UTC(2001, 2, 12) / 86_400_000;
    expect(new Set(days)).toEqual(new Set([first, first + 1, first + 2]));
    // The same rows read back in file order with their dates.
    const dates = await withDuckDb({}, async (c) => (await c.runAndReadAll(`SELECT CAST(event_time AS DATE)::VARCHAR FROM read_parquet(${sqlString(file)})`)).getRowsJson().map((r) => String(r[0])));
    const at = [0, Math.floor(rows / 2), rows - 1];
    for (const i of at) expect(new Date(days[i] * 86_400_000).toISOString().slice(0, 10)).toBe(dates[i]);
  });

  it('returns undefined for a holdout without event_time (no time column to take days from)', async () => {
    const file = path.join(dir, 'no-time.parquet');
    await withDuckDb({}, (c) => c.run(`COPY (SELECT 1 AS x, 0 AS label) TO ${sqlString(file)} (FORMAT parquet)`));
    expect(await readHoldoutDays(file)).toBeUndefined();
  });
});
