import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../data/duckdb';
import type { LabelComparison } from '../pipeline/label-spec';
import { boundaryBand, isPositive, judgeBoundary, readBoundaryCounts, readSourceDistribution, type BoundaryBand } from './label-source-boundary';
import type { SourceCount } from './label-source-spikes';

const DELAY_GT_15: LabelComparison = { op: 'gt', value: 15 };

/** A delay-like density, smooth across 15: `scale` rows at 0, falling away on both sides. */
function delays(scale: number, column = '', value = ''): SourceCount[] {
  return Array.from({ length: 121 }, (_, i) => i - 20).map((source) => ({ column, value, source, n: Math.round(scale * Math.exp(-Math.abs(source) / 12)) }));
}

/** Positives relabelled: `share` of rows above 15 rewritten to a spread of on-time values (-10..15). */
function flipped(rows: SourceCount[], share: number): SourceCount[] {
  const moved = rows.filter((r) => r.source > 15).reduce((a, r) => a + Math.round(r.n * share), 0);
  return rows.map((r) => (r.source > 15 ? { ...r, n: r.n - Math.round(r.n * share) } : r.source >= -10 && r.source <= 15 ? { ...r, n: r.n + Math.round(moved / 26) } : r));
}

/** A busier week: every delay a little later (the density moves smoothly across the threshold). */
const later = (rows: SourceCount[], minutes: number): SourceCount[] => rows.map((r) => ({ ...r, n: Math.round(r.n * Math.exp(Math.sign(r.source) * minutes / 12)) }));

const countsOf = (rows: SourceCount[], band: BoundaryBand, column = '') => {
  const on = (r: SourceCount, positive: boolean) => r.column === column && isPositive(band.comparison, r.source) === positive;
  const sum = (positive: boolean, [from, to]: [number, number]) => rows.filter((r) => on(r, positive) && r.source >= from && r.source <= to).reduce((a, r) => a + r.n, 0);
  return { negative: sum(false, band.negative), positive: sum(true, band.positive) };
};

describe('label source boundary', () => {
  it('knows which side of the threshold each comparison puts a value on', () => {
    expect([isPositive({ op: 'gt', value: 15 }, 15), isPositive({ op: 'gt', value: 15 }, 16)]).toEqual([false, true]);
    expect([isPositive({ op: 'gte', value: 15 }, 14), isPositive({ op: 'gte', value: 15 }, 15)]).toEqual([false, true]);
    expect([isPositive({ op: 'lt', value: 0 }, -1), isPositive({ op: 'lt', value: 0 }, 0)]).toEqual([true, false]);
    expect([isPositive({ op: 'lte', value: 0 }, 0), isPositive({ op: 'lte', value: 0 }, 1)]).toEqual([true, false]);
  });

  it('draws each band from the values nearest the threshold until it holds the share of the reference', () => {
    const reference = delays(1000);
    const band = boundaryBand(reference, DELAY_GT_15, 0.03)!;
    expect(band.negative[1]).toBe(15);
    expect(band.positive[0]).toBe(16);
    const total = reference.reduce((a, r) => a + r.n, 0);
    const { negative, positive } = countsOf(reference, band);
    // At least the share, and one value fewer would not reach it.
    expect(negative).toBeGreaterThanOrEqual(0.03 * total);
    expect(negative - reference.find((r) => r.source === band.negative[0])!.n).toBeLessThan(0.03 * total);
    expect(positive).toBeGreaterThanOrEqual(0.03 * total);
    // `>= 15` puts 15 on the positive side.
    const gte = boundaryBand(reference, { op: 'gte', value: 15 }, 0.03)!;
    expect([gte.negative[1], gte.positive[0]]).toEqual([14, 15]);
  });

  it('has no band when the reference has no row on one side', () => {
    expect(boundaryBand(delays(1000).filter((r) => r.source <= 15), DELAY_GT_15, 0.03)).toBeUndefined();
  });

  it('keeps a busier or calmer week near ratio 1, and finds 10 % of positives spread over on-time values', () => {
    const reference = delays(40_000);
    const band = boundaryBand(reference, DELAY_GT_15, 0.03)!;
    const judge = (batch: SourceCount[]) => judgeBoundary({ column: '', value: '', total: 0, ...countsOf(batch, band), ...prefixed(countsOf(reference, band)) });
    for (const week of [later(delays(10_000), 2), later(delays(10_000), -2), delays(7000)]) {
      expect(Math.abs(Math.log(judge(week).ratio))).toBeLessThan(Math.log(1.1));
    }
    const poisoned = judge(flipped(delays(10_000), 0.1));
    expect(poisoned.ratio).toBeGreaterThan(1.15);
    expect(poisoned.pValue).toBeLessThan(1e-6);
    // The other way round (negatives made positive) moves the ratio below 1.
    expect(judgeBoundary({ column: '', value: '', total: 0, negative: 500, positive: 900, refNegative: 1000, refPositive: 1000 }).ratio).toBeLessThan(0.6);
  });

  it('counts both bands per slice in DuckDB exactly as the definition does, leaving out small slices and slices the reference lacks', async () => {
    const batch = [...flipped(delays(1000), 0.1), ...flipped(delays(300, 'origin', 'ORD'), 0.5), ...delays(300, 'origin', 'ATL'), ...delays(300, 'origin', 'NEW'), ...delays(3, 'origin', 'TINY')];
    const reference = [...delays(4000), ...delays(1200, 'origin', 'ORD'), ...delays(1200, 'origin', 'ATL'), ...delays(20, 'origin', 'TINY')];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-boundary-'));
    try {
      const { band, counts } = await withDuckDb({}, async (conn) => {
        const write = async (rows: SourceCount[], file: string) => {
          const values = rows.map((r) => `(${sqlString(r.column)}, ${sqlString(r.value)}, ${r.source}::DOUBLE, ${r.n}::BIGINT)`).join(', ');
          await conn.run(`COPY (SELECT * FROM (VALUES ${values}) t("column", "value", "source", n)) TO ${sqlString(path.join(dir, file))} (FORMAT parquet)`);
        };
        await write(batch, 'batch.parquet');
        await write(reference, 'reference.parquet');
        const b = boundaryBand(await readSourceDistribution(conn, path.join(dir, 'reference.parquet')), DELAY_GT_15, 0.03)!;
        return { band: b, counts: await readBoundaryCounts(conn, path.join(dir, 'batch.parquet'), path.join(dir, 'reference.parquet'), b, 2000) };
      });
      expect(band).toEqual(boundaryBand(reference.filter((r) => r.column === ''), DELAY_GT_15, 0.03));
      expect(counts.map((c) => c.value)).toEqual(['', 'ATL', 'ORD']);
      for (const c of counts) {
        const column = c.value ? 'origin' : '';
        const rows = (xs: SourceCount[]) => xs.filter((r) => r.column === column && r.value === c.value);
        expect(c).toEqual({ column, value: c.value, total: rows(batch).reduce((a, r) => a + r.n, 0), ...countsOf(rows(batch), band, column), ...prefixed(countsOf(rows(reference), band, column)) });
      }
      const [, atl, ord] = counts.map(judgeBoundary);
      expect(Math.abs(Math.log(atl.ratio))).toBeLessThan(0.05);
      expect(ord.ratio).toBeGreaterThan(1.6);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function prefixed(c: { negative: number; positive: number }): { refNegative: number; refPositive: number } {
  return { refNegative: c.negative, refPositive: c.positive };
}
