/**
 * Labels rewritten to one value. When the label is a comparison over a numeric column (`delay >
 * 15`), an attacker who flips positives has to write some value into that column, and the easy
 * one is a constant (0 minutes). The 0/1 label then looks like a calmer week, but the column
 * grows a spike: one value far more frequent, relative to its neighbours, than it was in the
 * reference. Natural shifts move neighbouring values together (a calm week has more flights at
 * -1, 0 and 1 minutes alike), so each value is compared with its neighbours in the batch, scaled
 * by the same proportion in the reference. Pure: counts in, candidates out (and the query that
 * selects the same counts in DuckDB from the files ingest wrote).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../data/duckdb';
import type { LabelSourceParams } from '../pipeline/step-params';
import { chiSquareSurvival } from './drift-stats';

/** One row of the counts ingest writes: rows with source value `source` in slice `column = value` ('' = all rows). */
export interface SourceCount {
  column: string;
  value: string;
  source: number;
  n: number;
}

export interface SourceSpike {
  /** '' for the whole batch, else the slice's feature. */
  column: string;
  value: string;
  /** The label's source value that is over-represented. */
  source: number;
  /** Rows with that value in the slice, and the number its neighbours and the reference predict. */
  observed: number;
  expected: number;
  /** Rows in the slice. */
  rows: number;
  /** (observed - expected) / rows. */
  excess: number;
  ratio: number;
  /** One-sided p-value (over-representation), before correction. */
  pValue: number;
}

/** Neighbours of a whole-number value: the two below and the two above. */
const OFFSETS = [-2, -1, 1, 2];

type Slices = Map<string, { total: number; counts: Map<number, number> }>;

function bySlice(rows: SourceCount[]): Slices {
  const out: Slices = new Map();
  for (const r of rows) {
    const key = `${r.column}\u0000${r.value}`;
    let s = out.get(key);
    if (!s) out.set(key, (s = { total: 0, counts: new Map() }));
    s.total += r.n;
    s.counts.set(r.source, (s.counts.get(r.source) ?? 0) + r.n);
  }
  return out;
}

/** Upper-tail p-value of a standard normal z. */
const upperP = (z: number): number => (z <= 0 ? 1 : Number.isFinite(z) ? 0.5 * chiSquareSurvival(z * z, 1) : 0);

/**
 * What one (slice, source value) is judged on. `neighbours` and `refNeighbours` are the rows at
 * the value's whole-number neighbours (0 for a value that is not a whole number).
 */
export interface SpikeCounts {
  column: string;
  value: string;
  source: number;
  /** Rows with this value in the batch's slice, and rows in that slice. */
  n: number;
  total: number;
  neighbours: number;
  /** The same in the reference. */
  refN: number;
  refTotal: number;
  refNeighbours: number;
}

/**
 * Observed vs expected for one (slice, source value). Expected: the value's neighbours in this
 * batch times the value's ratio to the same neighbours in the reference (half a row added on both
 * sides, so a value the reference never had stays finite); a value without whole-number
 * neighbours (continuous sources) is expected at its reference share of the slice. The variance
 * adds the reference's own sampling error to the Poisson count, so a thin reference cannot make a spike.
 */
export function judgeSpike(c: SpikeCounts): SourceSpike {
  const refN = c.refN + 0.5;
  let expected: number;
  let refVariance: number;
  if (c.neighbours > 0 && c.refNeighbours > 0) {
    const refNeighbours = c.refNeighbours + 0.5;
    expected = (c.neighbours * refN) / refNeighbours;
    refVariance = expected * expected * (1 / refN + 1 / refNeighbours + 1 / c.neighbours);
  } else {
    expected = (c.total * refN) / (c.refTotal + 0.5);
    refVariance = (expected * expected) / refN;
  }
  const z = (c.n - expected) / Math.sqrt(expected + refVariance);
  return { column: c.column, value: c.value, source: c.source, observed: c.n, expected, rows: c.total, excess: (c.n - expected) / c.total, ratio: c.n / expected, pValue: upperP(z) };
}

/**
 * The (slice, source value) pairs worth judging: at least `minRows` rows, in a slice of at least
 * `minSliceRows` rows (the whole batch always) that the reference also has. The specification
 * {@link readSpikeCounts} is tested against; validation runs the query, which keeps a 3M-row
 * batch's counts out of JS.
 */
export function spikeCounts(batch: SourceCount[], reference: SourceCount[], params: LabelSourceParams): SpikeCounts[] {
  const ref = bySlice(reference);
  const out: SpikeCounts[] = [];
  const around = (counts: Map<number, number>, source: number) => (Number.isInteger(source) ? OFFSETS.reduce((a, d) => a + (counts.get(source + d) ?? 0), 0) : 0);
  for (const [key, b] of bySlice(batch)) {
    const r = ref.get(key);
    if (!r || r.total === 0) continue;
    const [column, value] = key.split('\u0000');
    if (column !== '' && b.total < params.minSliceRows) continue;
    for (const [source, n] of b.counts) {
      if (n < params.minRows) continue;
      out.push({ column, value, source, n, total: b.total, neighbours: around(b.counts, source), refN: r.counts.get(source) ?? 0, refTotal: r.total, refNeighbours: around(r.counts, source) });
    }
  }
  return out;
}

/** Every (slice, source value) worth judging ({@link spikeCounts}), judged. */
export function sourceSpikeCandidates(batch: SourceCount[], reference: SourceCount[], params: LabelSourceParams): SourceSpike[] {
  return spikeCounts(batch, reference, params).map(judgeSpike);
}

/**
 * {@link spikeCounts} as one DuckDB query over the two count files ingest wrote, so only the
 * pairs worth judging (tens of thousands for 3M flights) reach JS rather than every count of both
 * files (hundreds of thousands), read by column rather than as row objects. Ordered by slice and value.
 */
export async function readSpikeCounts(conn: DuckDBConnection, batchFile: string, referenceFile: string, params: LabelSourceParams): Promise<SpikeCounts[]> {
  const c = (await conn.runAndReadAll(spikeCountsSql(batchFile, referenceFile, params))).getColumnsObjectJS();
  return c.source.map((source, i) => ({
    column: String(c.column[i]),
    value: String(c.value[i]),
    source: Number(source),
    n: Number(c.n[i]),
    total: Number(c.total[i]),
    neighbours: Number(c.neighbours[i]),
    refN: Number(c.ref_n[i]),
    refTotal: Number(c.ref_total[i]),
    refNeighbours: Number(c.ref_neighbours[i]),
  }));
}

function spikeCountsSql(batchFile: string, referenceFile: string, params: LabelSourceParams): string {
  const counts = (file: string) => `SELECT "column", "value", "source", sum(n)::DOUBLE AS n FROM read_parquet(${sqlString(file)}) GROUP BY ALL`;
  // Whole-number neighbours as a window over the slice's whole-number values: within ±2 of a whole
  // number s the only such values are s±1 and s±2. One pass over both files' counts, no self-joins.
  const around = (n: string) =>
    `CASE WHEN whole THEN sum(${n}) OVER (PARTITION BY "column", "value", whole ORDER BY "source" RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) - ${n} ELSE 0 END`;
  return `WITH b AS (${counts(batchFile)}), r AS (${counts(referenceFile)}),
    u AS (SELECT coalesce(b."column", r."column") AS "column", coalesce(b."value", r."value") AS "value", coalesce(b."source", r."source") AS "source",
        coalesce(b.n, 0) AS n, coalesce(r.n, 0) AS ref_n, coalesce(b."source", r."source") = floor(coalesce(b."source", r."source")) AS whole
      FROM b FULL OUTER JOIN r ON b."column" = r."column" AND b."value" = r."value" AND b."source" = r."source"),
    w AS (SELECT "column", "value", "source", n, sum(n) OVER slice AS total, ${around('n')} AS neighbours,
        ref_n, sum(ref_n) OVER slice AS ref_total, ${around('ref_n')} AS ref_neighbours
      FROM u WINDOW slice AS (PARTITION BY "column", "value"))
    SELECT * FROM w
    WHERE ref_total > 0 AND n >= ${Number(params.minRows)} AND ("column" = '' OR total >= ${Number(params.minSliceRows)})
    ORDER BY "column", "value", "source"`;
}
