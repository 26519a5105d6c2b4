/**
 * Rows pushed across the label's threshold. When the label compares a numeric source column with
 * a number (`delay > 15`), an attacker who flips positives must rewrite the source too, and one
 * who spreads the rewritten values over plausible ones leaves no spike (label-source-spikes.ts).
 * What flipping cannot hide is a break in the source's density at the threshold: values on the
 * negative side gain rows, values on the positive side lose them. This is McCrary's (2008) test
 * for manipulation of a running variable at a cutoff: on each side, a line through the log
 * density of the values next to the threshold, weighted by their counts, extrapolated to the
 * threshold; the jump between the two sides is compared with the same jump in the reference.
 * Natural shifts (a stormier week) tilt the density on both sides alike and leave the jump where
 * it was, where a plain ratio of the two bands moves with them. Pure but for the queries.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../data/duckdb';
import type { LabelComparison } from '../pipeline/label-spec';
import { normalP } from './drift-stats';

/**
 * One side of the threshold, binned by distance from it: bin i covers distances [i·width, (i+1)·width)
 * on the side the threshold value itself belongs to (`closed`), (i·width, (i+1)·width] on the other,
 * so a whole-numbered source has one value per bin and a finer-grained batch falls into the bins of
 * the values it lies between.
 */
export interface BandSide {
  /** The reference values the band was drawn from, nearest and farthest (for messages). */
  from: number;
  to: number;
  width: number;
  bins: number;
  closed: boolean;
}

/** The bands either side of the label's threshold. */
export interface BoundaryBand {
  comparison: LabelComparison;
  negative: BandSide;
  positive: BandSide;
}

/** Rows per bin on one side: bin i's centre at `centre[i]` from the threshold. */
export interface SideCounts {
  centre: number[];
  n: number[];
}

/** One slice ('' = the whole batch): rows per bin on each side, in the batch and in the reference. */
export interface BoundaryCounts {
  column: string;
  value: string;
  /** Rows in the slice. */
  total: number;
  negative: SideCounts;
  positive: SideCounts;
  refNegative: SideCounts;
  refPositive: SideCounts;
}

export interface BoundaryShift {
  column: string;
  value: string;
  total: number;
  /** Rows in each band, batch and reference. */
  negative: number;
  positive: number;
  refNegative: number;
  refPositive: number;
  /**
   * How much denser the negative side is at the threshold, relative to the positive side, than in
   * the reference: exp(reference jump − batch jump). Above 1: rows moved to the negative side.
   */
  ratio: number;
  /** Two-sided p-value of the difference of the two jumps, before correction. */
  pValue: number;
}

/** Equal bins per side for a source that is not a short run of whole numbers. */
const BINS = 10;
/** A whole-numbered band of fewer values than this gets a bin per value. */
const MAX_WHOLE_BINS = 50;
/** A side needs this many bins for a line through its density: with fewer, the "jump" is the label rate. */
const MIN_BINS = 3;

/** Whether a source value makes the label positive. */
export function isPositive(c: LabelComparison, source: number): boolean {
  switch (c.op) {
    case 'gt':
      return source > c.value;
    case 'gte':
      return source >= c.value;
    case 'lt':
      return source < c.value;
    case 'lte':
      return source <= c.value;
  }
}

/**
 * The bands: on each side, the values nearest the threshold until they hold `share` of the
 * reference's rows, and at least {@link MIN_BINS} values. Whole numbers within {@link MAX_WHOLE_BINS}
 * of the threshold get a bin per unit, anything else ten equal bins out to the farthest value.
 * Skipped, with the reason, when a side has too few values for a density (a 0/1 or 1–5 source:
 * the label rate, not a running variable).
 * @param reference the reference's counts per source value, whole batch.
 */
export function boundaryBand(reference: Array<{ source: number; n: number }>, comparison: LabelComparison, share: number): BoundaryBand | { skipped: string } {
  const bySource = new Map<number, number>();
  for (const r of reference) bySource.set(r.source, (bySource.get(r.source) ?? 0) + r.n);
  const distinct = [...bySource].map(([source, n]) => ({ source, n }));
  const total = distinct.reduce((a, r) => a + r.n, 0);
  const distance = (v: number) => Math.abs(v - comparison.value);
  const side = (positive: boolean): BandSide | string => {
    const values = distinct.filter((r) => r.n > 0 && isPositive(comparison, r.source) === positive).sort((a, b) => distance(a.source) - distance(b.source));
    const label = positive ? 1 : 0;
    if (values.length < MIN_BINS) return `the label's source has ${values.length} value(s) on the label-${label} side of its threshold ${comparison.value}: too few for a density (at least ${MIN_BINS})`;
    let rows = 0;
    let last = values.length - 1;
    for (let i = 0; i < values.length; i++) {
      rows += values[i].n;
      if (rows >= share * total && i + 1 >= MIN_BINS) {
        last = i;
        break;
      }
    }
    const band = values.slice(0, last + 1).map((r) => r.source);
    const far = distance(band[band.length - 1]);
    const closed = isPositive(comparison, comparison.value) === positive;
    const perValue = band.every(Number.isInteger) && far < MAX_WHOLE_BINS;
    const width = perValue ? 1 : far / BINS;
    if (!Number.isFinite(width) || width <= 0) return `the label's source values next to its threshold ${comparison.value} span no usable width on the label-${label} side`;
    const bins = perValue ? (closed ? Math.floor(far) + 1 : Math.ceil(far)) : BINS;
    return { from: band[0], to: band[band.length - 1], width, bins, closed };
  };
  const negative = side(false);
  if (typeof negative === 'string') return { skipped: negative };
  const positive = side(true);
  if (typeof positive === 'string') return { skipped: positive };
  return { comparison, negative, positive };
}

/**
 * The log density at the threshold seen from one side: a line through log((rows + ½) / width) of
 * the side's bins against their distance from the threshold, weighted by rows, at distance 0, and
 * its variance. A side of one bin (or all at one distance): that bin's log density.
 */
export function densityAtThreshold(side: SideCounts, width: number): { log: number; variance: number } {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  side.n.forEach((count, i) => {
    const w = count + 0.5;
    const x = side.centre[i];
    const y = Math.log(w / width);
    sw += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
  });
  const det = sw * sxx - sx * sx;
  if (side.n.length < 2 || det <= 1e-9 * sw * sxx) return { log: sy / sw, variance: 1 / sw };
  const slope = (sw * sxy - sx * sy) / det;
  return { log: (sy - slope * sx) / sw, variance: sxx / det };
}

/** The batch's jump at the threshold against the reference's, for one slice. */
export function judgeBoundary(c: BoundaryCounts, band: Pick<BoundaryBand, 'negative' | 'positive'>): BoundaryShift {
  const jump = (neg: SideCounts, pos: SideCounts) => {
    const n = densityAtThreshold(neg, band.negative.width);
    const p = densityAtThreshold(pos, band.positive.width);
    return { log: p.log - n.log, variance: p.variance + n.variance };
  };
  const batch = jump(c.negative, c.positive);
  const ref = jump(c.refNegative, c.refPositive);
  const z = (batch.log - ref.log) / Math.sqrt(batch.variance + ref.variance);
  const sum = (s: SideCounts) => s.n.reduce((a, x) => a + x, 0);
  return {
    column: c.column,
    value: c.value,
    total: c.total,
    negative: sum(c.negative),
    positive: sum(c.positive),
    refNegative: sum(c.refNegative),
    refPositive: sum(c.refPositive),
    ratio: Math.exp(ref.log - batch.log),
    pValue: normalP(z),
  };
}

/** The centres of both sides' bins, as distances from the threshold. */
export function bandBins(band: Pick<BoundaryBand, 'negative' | 'positive'>): { negative: number[]; positive: number[] } {
  const centres = (side: BandSide) => Array.from({ length: side.bins }, (_, i) => (i + 0.5) * side.width);
  return { negative: centres(band.negative), positive: centres(band.positive) };
}

/** The bin of a value at `distance` from the threshold on `side`; undefined beyond the band. */
export function binOf(side: BandSide, distance: number): number | undefined {
  const i = side.closed ? Math.floor(distance / side.width) : Math.ceil(distance / side.width) - 1;
  return i >= 0 && i < side.bins ? i : undefined;
}

/** The whole batch's counts per source value in a counts file ingest wrote. */
export async function readSourceDistribution(conn: DuckDBConnection, file: string): Promise<Array<{ source: number; n: number }>> {
  const c = (await conn.runAndReadAll(`SELECT "source", sum(n)::DOUBLE AS n FROM read_parquet(${sqlString(file)}) WHERE "column" = '' GROUP BY ALL`)).getColumnsObjectJS();
  return c.source.map((s, i) => ({ source: Number(s), n: Number(c.n[i]) }));
}

/**
 * Rows per bin of both bands, per slice, in the batch and the reference, for the whole batch and
 * every slice of at least `minSliceRows` rows that the reference also has. A bin without rows
 * counts 0: every bin of a side is in the fit, on both files.
 */
export async function readBoundaryCounts(conn: DuckDBConnection, batchFile: string, referenceFile: string, band: BoundaryBand, minSliceRows: number): Promise<BoundaryCounts[]> {
  const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[band.comparison.op];
  const positive = `("source" ${op} ${Number(band.comparison.value)})`;
  const distance = `abs("source" - ${Number(band.comparison.value)})`;
  // binOf in SQL.
  const index = (side: BandSide) => `(${side.closed ? 'floor' : 'ceil'}(${distance} / ${Number(side.width)})${side.closed ? '' : ' - 1'})`;
  const bin = (side: BandSide) => `${index(side)} BETWEEN 0 AND ${side.bins - 1} THEN ${index(side)}::INTEGER`;
  // Rows outside both bands only count towards the slice's total.
  const binned = (file: string) => `SELECT "column", "value",
      CASE WHEN NOT ${positive} AND ${bin(band.negative)} END AS neg,
      CASE WHEN ${positive} AND ${bin(band.positive)} END AS pos,
      sum(n)::DOUBLE AS n
    FROM read_parquet(${sqlString(file)}) GROUP BY ALL`;
  const c = (
    await conn.runAndReadAll(`WITH b AS (${binned(batchFile)}), r AS (${binned(referenceFile)}),
      bt AS (SELECT "column", "value", sum(n) AS total FROM b GROUP BY ALL),
      slices AS (SELECT bt.* FROM bt WHERE ("column" = '' OR total >= ${Number(minSliceRows)}) AND EXISTS (SELECT 1 FROM r WHERE r."column" = bt."column" AND r."value" = bt."value")),
      cells AS (SELECT 0 AS ref, * FROM b WHERE neg IS NOT NULL OR pos IS NOT NULL UNION ALL SELECT 1, * FROM r WHERE neg IS NOT NULL OR pos IS NOT NULL)
    SELECT s."column", s."value", s.total, cells.ref, cells.neg, cells.pos, cells.n
    FROM slices s JOIN cells ON cells."column" = s."column" AND cells."value" = s."value"
    UNION ALL SELECT "column", "value", total, NULL, NULL, NULL, NULL FROM slices
    ORDER BY 1, 2`)
  ).getColumnsObjectJS();
  const bins = bandBins(band);
  const empty = (): { negative: SideCounts; positive: SideCounts; refNegative: SideCounts; refPositive: SideCounts } => ({
    negative: { centre: bins.negative, n: bins.negative.map(() => 0) },
    positive: { centre: bins.positive, n: bins.positive.map(() => 0) },
    refNegative: { centre: bins.negative, n: bins.negative.map(() => 0) },
    refPositive: { centre: bins.positive, n: bins.positive.map(() => 0) },
  });
  const out = new Map<string, BoundaryCounts>();
  c.column.forEach((column, i) => {
    const key = `${String(column)}\u0000${String(c.value[i])}`;
    let slice = out.get(key);
    if (!slice) out.set(key, (slice = { column: String(column), value: String(c.value[i]), total: Number(c.total[i]), ...empty() }));
    if (c.ref[i] === null) return;
    const ref = Number(c.ref[i]) === 1;
    if (c.neg[i] !== null) (ref ? slice.refNegative : slice.negative).n[Number(c.neg[i])] += Number(c.n[i]);
    if (c.pos[i] !== null) (ref ? slice.refPositive : slice.positive).n[Number(c.pos[i])] += Number(c.n[i]);
  });
  return [...out.values()];
}
