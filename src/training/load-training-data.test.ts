import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSourceError } from '../errors';
import type { FeatureSpec } from './feature-spec';
import { loadEncodedData } from './load-training-data';
import { writeParquet } from '../data/flights-window';

let dir: string;
let path: string;

/**
 * 400 rows. city: paris ×200, oslo ×120, rome ×40, null ×40 (so '' ties with rome).
 * x: 0..9 repeating, null every 8th row. stop: an INTEGER column used as a category.
 */
const FIXTURE = `SELECT
    CASE WHEN i % 8 = 7 THEN NULL ELSE (i % 10)::DOUBLE END AS x,
    CASE WHEN i % 10 < 5 THEN 'paris' WHEN i % 10 < 8 THEN 'oslo' WHEN i % 10 < 9 THEN 'rome' END AS city,
    (i % 3)::INTEGER AS stop,
    (i % 4 = 0)::INTEGER AS label,
    i AS row_id
  FROM range(400) r(i)`;

const features: FeatureSpec = { numeric: ['x'], categorical: ['city', 'stop'], label: 'label' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-load-'));
  path = join(dir, 'train.parquet');
  await writeParquet(path, FIXTURE);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('loadEncodedData', () => {
  it('keeps the most frequent categories first, breaking ties by value, with null as ""', async () => {
    const data = await loadEncodedData(path, features);
    expect(data.encoding.vocab.city).toEqual(['paris', 'oslo', '', 'rome']);
    // Non-string categories are compared as their text.
    expect(data.encoding.vocab.stop).toEqual(['0', '1', '2']);
  });

  it('keeps rows in file order', async () => {
    const data = await loadEncodedData(path, features);
    expect(data.rows).toBe(400);
    expect(Array.from(data.label.subarray(0, 8))).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
    // Row i % 10 = 9 is null → '' → code 2; 5..7 are oslo → code 1.
    expect(Array.from(data.categorical[0].subarray(0, 10))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 3, 2]);
  });

  it('maps categories beyond maxCategories to the out-of-vocabulary code', async () => {
    const data = await loadEncodedData(path, features, { maxCategories: 2 });
    expect(data.encoding.vocab.city).toEqual(['paris', 'oslo']);
    expect(Array.from(data.categorical[0].subarray(5, 10))).toEqual([1, 1, 1, 2, 2]);
  });

  it('standardises numeric columns with statistics that ignore nulls, imputing nulls as the mean', async () => {
    const data = await loadEncodedData(path, features);
    const raw = Array.from({ length: 400 }, (_, i) => (i % 8 === 7 ? null : i % 10)).filter((v) => v !== null) as number[];
    const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
    const std = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / raw.length);
    expect(data.encoding.numeric.x.mean).toBeCloseTo(mean, 12);
    expect(data.encoding.numeric.x.std).toBeCloseTo(std, 12);
    expect(data.numeric[0][7]).toBe(0);
    expect(data.numeric[0][1]).toBeCloseTo((1 - mean) / std, 6);
  });

  it('applies a given encoding instead of learning one', async () => {
    const encoding = { numeric: { x: { mean: 1, std: 2 } }, vocab: { city: ['rome'], stop: ['2', '1'] } };
    const data = await loadEncodedData(path, features, { encoding });
    expect(data.encoding).toEqual(encoding);
    expect(Array.from(data.categorical[0].subarray(7, 9))).toEqual([1, 0]); // oslo unseen, rome known
    expect(Array.from(data.categorical[1].subarray(0, 3))).toEqual([2, 1, 0]);
    expect(data.numeric[0][3]).toBeCloseTo((3 - 1) / 2, 6);
  });

  it('names the missing column', async () => {
    await expect(loadEncodedData(path, { ...features, numeric: ['x', 'altitude'] })).rejects.toThrow(
      expect.objectContaining({ name: 'DataSourceError', message: expect.stringContaining('"altitude"') }),
    );
  });

  it('refuses a label that is not 0 or 1', async () => {
    const err = await loadEncodedData(path, { ...features, label: 'stop', categorical: ['city'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toMatch(/must be 0 or 1, found 2 at row 2/);
  });

  it('refuses a file with no rows', async () => {
    const empty = join(dir, 'empty.parquet');
    await writeParquet(empty, `${FIXTURE} LIMIT 0`);
    await expect(loadEncodedData(empty, features)).rejects.toThrow(/no rows/);
  });
});
