import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors';
import { sliceSchema } from '../pipeline/step-params';
import { writeParquet } from '../data/flights-window';
import { computeMetrics } from './metrics';
import { readSliceKeys, sliceMetrics } from './slices';

let dir: string;
let path: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-slices-'));
  path = join(dir, 'holdout.parquet');
  // 10 rows: airport A ×4, B ×3, C ×2, null ×1; month is an integer column.
  await writeParquet(
    path,
    `SELECT * FROM (VALUES
       ('A', 1, 0.9, 1), ('B', 1, 0.2, 0), ('A', 2, 0.8, 1), ('C', 2, 0.4, 1), ('A', 3, 0.3, 0),
       ('B', 3, 0.6, 1), (NULL, 1, 0.5, 0), ('C', 1, 0.1, 0), ('A', 2, 0.7, 0), ('B', 2, 0.4, 0)
     ) t(origin, month, score, label)`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const spec = (s: object) => sliceSchema.parse(s);
const SCORES = Float32Array.from([0.9, 0.2, 0.8, 0.4, 0.3, 0.6, 0.5, 0.1, 0.7, 0.4]);
const LABELS = Uint8Array.from([1, 0, 1, 1, 0, 1, 0, 0, 0, 0]);

describe('readSliceKeys', () => {
  it('keeps the N most frequent values, most frequent first, and marks other rows -1', async () => {
    const [keys] = await readSliceKeys(path, [spec({ column: 'origin', top: 2 })]);
    expect(keys.values).toEqual(['A', 'B']);
    expect(Array.from(keys.codes)).toEqual([0, 1, 0, -1, 0, 1, -1, -1, 0, 1]);
  });

  it('takes exactly the listed values, compares non-text columns as text and a null as ""', async () => {
    const [months, origins] = await readSliceKeys(path, [spec({ column: 'month', values: ['2', '9'] }), spec({ column: 'origin', values: [''] })]);
    expect(Array.from(months.codes)).toEqual([-1, -1, 0, 0, -1, -1, -1, -1, 0, 0]);
    expect(Array.from(origins.codes)).toEqual([-1, -1, -1, -1, -1, -1, 0, -1, -1, -1]);
  });

  it('defaults to the ten most frequent values', async () => {
    const [keys] = await readSliceKeys(path, [spec({ column: 'origin' })]);
    expect(keys.values).toEqual(['A', 'B', 'C', '']);
  });

  it('names a sliced column the holdout lacks', async () => {
    const err = await readSliceKeys(path, [spec({ column: 'carrier' })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect((err as Error).message).toMatch(/slices: column "carrier" is not in the holdout \(columns: origin, month, score, label\)/);
  });
});

describe('sliceMetrics', () => {
  it('computes every metric on exactly the rows of each slice', async () => {
    const [keys] = await readSliceKeys(path, [spec({ column: 'origin', top: 3 })]);
    const [a, b, c] = sliceMetrics(SCORES, LABELS, keys, 0.5);
    expect(a).toEqual({ value: 'A', rows: 4, metrics: computeMetrics(Float32Array.from([0.9, 0.8, 0.3, 0.7]), [1, 1, 0, 0], 0.5) });
    expect(b.metrics?.auc).toBe(1); // B: 0.6 (positive) above 0.2 and 0.4
    expect(c.metrics?.auc).toBe(1); // C: 0.4 (positive) above 0.1
  });

  it('leaves slices below minRows without metrics', async () => {
    const [keys] = await readSliceKeys(path, [spec({ column: 'origin', minRows: 3 })]);
    expect(sliceMetrics(SCORES, LABELS, keys, 0.5).map((s) => [s.value, s.rows, s.metrics === null])).toEqual([
      ['A', 4, false],
      ['B', 3, false],
      ['C', 2, true],
      ['', 1, true],
    ]);
  });
});
