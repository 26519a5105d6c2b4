/**
 * Rows pushed across the label's threshold. When the label compares a numeric source column with
 * a number (`delay > 15`), an attacker who flips positives must rewrite the source too, and one
 * who spreads the rewritten values over plausible ones leaves no spike (label-source-spikes.ts).
 * What flipping cannot hide is a break in the source's density at the threshold: the values just
 * on the negative side gain rows and those just on the positive side lose them. Natural shifts
 * (a stormier week) move the density smoothly across the threshold, so the ratio of the two
 * narrow bands barely moves (McCrary's density test for manipulation of a running variable at a
 * cutoff, here against the reference rather than a local-linear fit). Pure but for the query.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../data/duckdb';
import type { LabelComparison } from '../pipeline/label-spec';
import { chiSquareSurvival } from './drift-stats';

/** The source values next to the threshold on each side: `[from, to]`, both inclusive, within that side. */
export interface BoundaryBand {
  comparison: LabelComparison;
  negative: [number, number];
  positive: [number, number];
}

/** Rows in each band of one slice ('' = the whole batch), in the batch and in the reference. */
export interface BoundaryCounts {
  column: string;
  value: string;
  negative: number;
  positive: number;
  /** Rows in the slice. */
  total: number;
  refNegative: number;
  refPositive: number;
}

export interface BoundaryShift extends BoundaryCounts {
  /** (negative / positive) in the batch over the same in the reference: > 1, rows moved to the negative side. */
  ratio: number;
  /** Two-sided p-value of the log odds ratio, before correction. */
  pValue: number;
}

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
 * reference's rows (at least one value). Undefined when the reference has no row on a side.
 * @param reference the reference's counts per source value, whole batch.
 */
export function boundaryBand(reference: Array<{ source: number; n: number }>, comparison: LabelComparison, share: number): BoundaryBand | undefined {
  const total = reference.reduce((a, r) => a + r.n, 0);
  const side = (positive: boolean): [number, number] | undefined => {
    const values = reference.filter((r) => r.n > 0 && isPositive(comparison, r.source) === positive).sort((a, b) => Math.abs(a.source - comparison.value) - Math.abs(b.source - comparison.value));
    if (values.length === 0) return undefined;
    let rows = 0;
    let edge = values.at(-1)!.source;
    for (const r of values) {
      rows += r.n;
      if (rows >= share * total) {
        edge = r.source;
        break;
      }
    }
    const nearest = values[0].source;
    return [Math.min(nearest, edge), Math.max(nearest, edge)];
  };
  const negative = side(false);
  const positive = side(true);
  return negative && positive ? { comparison, negative, positive } : undefined;
}

/** Observed vs reference for one slice: the log odds ratio of the two bands, with half a row added to each cell. */
export function judgeBoundary(c: BoundaryCounts): BoundaryShift {
  const [n, p, rn, rp] = [c.negative, c.positive, c.refNegative, c.refPositive].map((x) => x + 0.5);
  const log = Math.log(n / p) - Math.log(rn / rp);
  const z = log / Math.sqrt(1 / n + 1 / p + 1 / rn + 1 / rp);
  return { ...c, ratio: Math.exp(log), pValue: chiSquareSurvival(z * z, 1) };
}

/** The whole batch's counts per source value in a counts file ingest wrote. */
export async function readSourceDistribution(conn: DuckDBConnection, file: string): Promise<Array<{ source: number; n: number }>> {
  const c = (await conn.runAndReadAll(`SELECT "source", sum(n)::DOUBLE AS n FROM read_parquet(${sqlString(file)}) WHERE "column" = '' GROUP BY ALL`)).getColumnsObjectJS();
  return c.source.map((s, i) => ({ source: Number(s), n: Number(c.n[i]) }));
}

/**
 * Both bands' rows per slice, in the batch and the reference, for the whole batch and every slice
 * of at least `minSliceRows` rows that the reference also has.
 */
export async function readBoundaryCounts(conn: DuckDBConnection, batchFile: string, referenceFile: string, band: BoundaryBand, minSliceRows: number): Promise<BoundaryCounts[]> {
  const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[band.comparison.op];
  const positive = `("source" ${op} ${Number(band.comparison.value)})`;
  const within = ([from, to]: [number, number]) => `"source" BETWEEN ${Number(from)} AND ${Number(to)}`;
  const sides = (file: string) => `SELECT "column", "value",
      coalesce(sum(n) FILTER (WHERE NOT ${positive} AND ${within(band.negative)}), 0)::DOUBLE AS negative,
      coalesce(sum(n) FILTER (WHERE ${positive} AND ${within(band.positive)}), 0)::DOUBLE AS positive,
      sum(n)::DOUBLE AS total
    FROM read_parquet(${sqlString(file)}) GROUP BY ALL`;
  const c = (
    await conn.runAndReadAll(`SELECT b."column", b."value", b.negative, b.positive, b.total, r.negative AS ref_negative, r.positive AS ref_positive
      FROM (${sides(batchFile)}) b JOIN (${sides(referenceFile)}) r ON b."column" = r."column" AND b."value" = r."value"
      WHERE b."column" = '' OR b.total >= ${Number(minSliceRows)}
      ORDER BY b."column", b."value"`)
  ).getColumnsObjectJS();
  return c.column.map((column, i) => ({
    column: String(column),
    value: String(c.value[i]),
    negative: Number(c.negative[i]),
    positive: Number(c.positive[i]),
    total: Number(c.total[i]),
    refNegative: Number(c.ref_negative[i]),
    refPositive: Number(c.ref_positive[i]),
  }));
}
