import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../data/duckdb';
import type { LabelComparison } from '../pipeline/label-spec';
import { bandBins, binOf, boundaryBand, densityAtThreshold, isPositive, judgeBoundary, readBoundaryCounts, readSourceDistribution, type BoundaryBand, type BoundaryCounts } from './label-source-boundary';
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

/** A stormier or calmer week: the density tilted (later delays more or less frequent), smoothly across 15. */
const tilted = (rows: SourceCount[], perMinute: number): SourceCount[] => rows.map((r) => ({ ...r, n: Math.round(r.n * Math.exp(perMinute * r.source)) }));

/** The definition of the binned counts, row by row: rows per bin of each side, for one slice of `rows`. */
function countsOf(rows: SourceCount[], band: BoundaryBand): Pick<BoundaryCounts, 'negative' | 'positive'> {
  const bins = bandBins(band);
  const side = (positive: boolean, centres: number[]) => {
    const n = centres.map(() => 0);
    for (const r of rows) {
      if (isPositive(band.comparison, r.source) !== positive) continue;
      const i = binOf(positive ? band.positive : band.negative, Math.abs(r.source - band.comparison.value));
      if (i !== undefined) n[i] += r.n;
    }
    return { centre: centres, n };
  };
  return { negative: side(false, bins.negative), positive: side(true, bins.positive) };
}

/** A band, asserting it could be drawn. */
function drawn(band: ReturnType<typeof boundaryBand>): BoundaryBand {
  if ('skipped' in band) throw new Error(band.skipped);
  return band;
}

const judged = (batch: SourceCount[], reference: SourceCount[], band: BoundaryBand) => {
  const b = countsOf(batch, band);
  const r = countsOf(reference, band);
  return judgeBoundary({ column: '', value: '', total: 0, ...b, refNegative: r.negative, refPositive: r.positive }, band);
};

describe('label source boundary', () => {
  it('knows which side of the threshold each comparison puts a value on', () => {
    expect([isPositive({ op: 'gt', value: 15 }, 15), isPositive({ op: 'gt', value: 15 }, 16)]).toEqual([false, true]);
    expect([isPositive({ op: 'gte', value: 15 }, 14), isPositive({ op: 'gte', value: 15 }, 15)]).toEqual([false, true]);
    expect([isPositive({ op: 'lt', value: 0 }, -1), isPositive({ op: 'lt', value: 0 }, 0)]).toEqual([true, false]);
    expect([isPositive({ op: 'lte', value: 0 }, 0), isPositive({ op: 'lte', value: 0 }, 1)]).toEqual([true, false]);
  });

  it('draws each band from the values nearest the threshold until it holds the share of the reference, a bin per whole number', () => {
    const reference = delays(1000);
    const band = drawn(boundaryBand(reference, DELAY_GT_15, 0.06));
    expect([band.negative.from, band.positive.from]).toEqual([15, 16]);
    // A bin per minute from the threshold out: 15 (and on-time values just under it) in the first on-time bin, 16 in the first late one.
    expect(bandBins(band).negative.slice(0, 3)).toEqual([0.5, 1.5, 2.5]);
    expect([binOf(band.negative, 0), binOf(band.negative, 1), binOf(band.positive, 1), binOf(band.positive, 2)]).toEqual([0, 1, 0, 1]);
    const total = reference.reduce((a, r) => a + r.n, 0);
    const rows = (from: number, to: number) => reference.filter((r) => r.source >= Math.min(from, to) && r.source <= Math.max(from, to)).reduce((a, r) => a + r.n, 0);
    // At least the share, and one value fewer would not reach it.
    expect(rows(band.negative.from, band.negative.to)).toBeGreaterThanOrEqual(0.06 * total);
    expect(rows(band.negative.from, band.negative.to + 1)).toBeLessThan(0.06 * total);
    expect(rows(band.positive.from, band.positive.to)).toBeGreaterThanOrEqual(0.06 * total);
    // `>= 15` puts 15 on the positive side.
    const gte = drawn(boundaryBand(reference, { op: 'gte', value: 15 }, 0.06));
    expect([gte.negative.from, gte.positive.from]).toEqual([14, 15]);
    // A continuous source gets ten bins per side.
    const continuous = drawn(boundaryBand(Array.from({ length: 400 }, (_, i) => ({ source: i / 20 + 0.013, n: 5 })), { op: 'gt', value: 10 }, 0.1));
    expect(bandBins(continuous).positive).toHaveLength(10);
    // Whole numbers over a long span (cents) get ten bins too, not one per value.
    const cents = drawn(boundaryBand(Array.from({ length: 5000 }, (_, i) => ({ source: i * 7, n: 3 })), { op: 'gte', value: 10_000 }, 0.1));
    expect(bandBins(cents).negative).toHaveLength(10);
  });

  it('takes at least three values a side, and is not drawn for a source with fewer (a 0/1 flag, a 1–5 rating)', () => {
    // The nearest value alone holds the share; two more are taken so a line can be fitted.
    const lumpy = drawn(boundaryBand(delays(100).map((r) => (r.source === 15 || r.source === 16 ? { ...r, n: 1_000_000 } : r)), DELAY_GT_15, 0.06));
    expect([lumpy.negative.bins, lumpy.positive.bins]).toEqual([3, 3]);
    expect(boundaryBand([{ source: 0, n: 900 }, { source: 1, n: 100 }], { op: 'gt', value: 0.5 }, 0.06)).toEqual({
      skipped: "the label's source has 1 value(s) on the label-0 side of its threshold 0.5: too few for a density (at least 3)",
    });
    expect(boundaryBand([1, 2, 3, 4, 5].map((source) => ({ source, n: 100 })), { op: 'gte', value: 4 }, 0.06)).toMatchObject({ skipped: expect.stringContaining('2 value(s) on the label-1 side') });
    expect(boundaryBand(delays(1000).filter((r) => r.source <= 15), DELAY_GT_15, 0.06)).toMatchObject({ skipped: expect.stringContaining('0 value(s) on the label-1 side') });
  });

  it('counts a batch recorded finer than its reference in the bins of the values it lies next to', () => {
    const band = drawn(boundaryBand(delays(1000), DELAY_GT_15, 0.06));
    // 15.25 minutes is late (> 15): in the first late bin with 16; 14.75 is on time: in the first on-time bin with 15.
    expect(binOf(band.positive, 0.25)).toBe(0);
    expect(binOf(band.negative, 0.25)).toBe(0);
    expect(binOf(band.negative, 1.25)).toBe(1);
    expect(binOf(band.positive, 1e9)).toBeUndefined();
    // The same delays to the quarter minute (each minute's rows spread over the quarter minutes leading up to it), against whole minutes: no shift.
    const quarters: SourceCount[] = delays(1000).flatMap((r) => (r.source > 15 ? [-0.75, -0.5, -0.25, 0] : [0, 0.25, 0.5, 0.75].map((d) => -d)).map((d) => ({ ...r, source: r.source + d, n: r.n })));
    const j = judged(quarters, delays(4000), band);
    expect(Math.abs(Math.log(j.ratio))).toBeLessThan(Math.log(1.1));
  });

  it('extrapolates a side to the threshold along its log density', () => {
    // Exact exponential counts: the line recovers the density at 0 from bins at 1..5.
    const side = { centre: [1, 2, 3, 4, 5], n: [1, 2, 3, 4, 5].map((x) => 10_000 * Math.exp(-x / 4) - 0.5) };
    expect(densityAtThreshold(side, 1).log).toBeCloseTo(Math.log(10_000), 6);
    // One bin: its own density, and Poisson variance.
    expect(densityAtThreshold({ centre: [1], n: [99.5] }, 2)).toEqual({ log: Math.log(50), variance: 0.01 });
  });

  it('keeps stormier and calmer weeks near ratio 1, and finds 10 % of positives spread over on-time values', () => {
    const reference = delays(40_000);
    const band = drawn(boundaryBand(reference, DELAY_GT_15, 0.06));
    for (const week of [tilted(delays(10_000), 0.02), tilted(delays(10_000), -0.02), delays(7000)]) {
      const j = judged(week, reference, band);
      expect(Math.abs(Math.log(j.ratio))).toBeLessThan(Math.log(1.05));
      expect(j.pValue).toBeGreaterThan(0.001);
    }
    const poisoned = judged(flipped(delays(10_000), 0.1), reference, band);
    expect(poisoned.ratio).toBeGreaterThan(1.15);
    expect(poisoned.pValue).toBeLessThan(1e-6);
    // The other way round (on-time rows pushed over the threshold) moves it below 1.
    const pushed = delays(10_000).map((r) => (r.source > 15 && r.source <= 25 ? { ...r, n: r.n * 1.3 } : r));
    expect(judged(pushed, reference, band).ratio).toBeLessThan(0.85);
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
        const b = drawn(boundaryBand(await readSourceDistribution(conn, path.join(dir, 'reference.parquet')), DELAY_GT_15, 0.06));
        return { band: b, counts: await readBoundaryCounts(conn, path.join(dir, 'batch.parquet'), path.join(dir, 'reference.parquet'), b, 2000) };
      });
      expect(band).toEqual(boundaryBand(reference.filter((r) => r.column === ''), DELAY_GT_15, 0.06));
      expect(counts.map((c) => c.value)).toEqual(['', 'ATL', 'ORD']);
      for (const c of counts) {
        const column = c.value ? 'origin' : '';
        const rows = (xs: SourceCount[]) => xs.filter((r) => r.column === column && r.value === c.value);
        const r = countsOf(rows(reference), band);
        expect(c).toEqual({ column, value: c.value, total: rows(batch).reduce((a, x) => a + x.n, 0), ...countsOf(rows(batch), band), refNegative: r.negative, refPositive: r.positive });
      }
      const [, atl, ord] = counts.map((c) => judgeBoundary(c, band));
      expect(Math.abs(Math.log(atl.ratio))).toBeLessThan(0.05);
      expect(ord.ratio).toBeGreaterThan(1.6);

      // A continuous source (amount > 10): ten equal bins per side, each row in the bin its value falls in.
      const amounts: SourceCount[] = Array.from({ length: 2000 }, (_, i) => ({ column: '', value: '', source: i / 100 + 0.005, n: 1 + (i % 7) }));
      const continuous = await withDuckDb({}, async (conn) => {
        const values = amounts.map((r) => `('', '', ${r.source}::DOUBLE, ${r.n}::BIGINT)`).join(', ');
        await conn.run(`COPY (SELECT * FROM (VALUES ${values}) t("column", "value", "source", n)) TO ${sqlString(path.join(dir, 'amounts.parquet'))} (FORMAT parquet)`);
        const file = path.join(dir, 'amounts.parquet');
        const b = drawn(boundaryBand(await readSourceDistribution(conn, file), { op: 'gt', value: 10 }, 0.1));
        return { band: b, counts: await readBoundaryCounts(conn, file, file, b, 2000) };
      });
      const cb = continuous.band;
      const expected = countsOf(amounts, cb);
      expect(continuous.counts[0].negative.n).toEqual(expected.negative.n);
      expect(continuous.counts[0].positive.n).toEqual(expected.positive.n);
      expect(continuous.counts[0].negative.n.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
      // The same file as batch and reference: no shift at all.
      expect(judgeBoundary(continuous.counts[0], cb).ratio).toBeCloseTo(1, 9);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
