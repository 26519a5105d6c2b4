/**
 * Labels rewritten to one value. When the label is a comparison over a numeric column (`delay >
 * 15`), an attacker who flips positives has to write some value into that column, and the easy
 * one is a constant (0 minutes). The 0/1 label then looks like a calmer week, but the column
 * grows a spike: one value far more frequent, relative to its neighbours, than it was in the
 * reference. Natural shifts move neighbouring values together (a calm week has more flights at
 * -1, 0 and 1 minutes alike), so each value is compared with its neighbours in the batch, scaled
 * by the same proportion in the reference. Pure: counts in, candidates out.
 */
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
 * Every (slice, source value) with at least `minRows` rows in a slice the reference also has,
 * with observed vs expected. Expected: the value's neighbours in this batch times the value's
 * ratio to the same neighbours in the reference (half a row added on both sides, so a value the
 * reference never had stays finite); a value without whole-number neighbours (continuous
 * sources) is expected at its reference share of the slice. The variance adds the reference's
 * own sampling error to the Poisson count, so a thin reference cannot make a spike.
 */
export function sourceSpikeCandidates(batch: SourceCount[], reference: SourceCount[], params: LabelSourceParams): SourceSpike[] {
  const ref = bySlice(reference);
  const out: SourceSpike[] = [];
  for (const [key, b] of bySlice(batch)) {
    const r = ref.get(key);
    if (!r || r.total === 0) continue;
    const [column, value] = key.split('\u0000');
    if (column !== '' && b.total < params.minSliceRows) continue;
    for (const [source, n] of b.counts) {
      if (n < params.minRows) continue;
      const refN = (r.counts.get(source) ?? 0) + 0.5;
      let expected: number;
      let refVariance: number;
      const neighbours = Number.isInteger(source) ? OFFSETS.reduce((a, d) => a + (b.counts.get(source + d) ?? 0), 0) : 0;
      const refNeighbours = Number.isInteger(source) ? OFFSETS.reduce((a, d) => a + (r.counts.get(source + d) ?? 0), 0) + 0.5 : 0;
      if (neighbours > 0 && refNeighbours > 0.5) {
        expected = (neighbours * refN) / refNeighbours;
        refVariance = expected * expected * (1 / refN + 1 / refNeighbours + 1 / neighbours);
      } else {
        expected = (b.total * refN) / (r.total + 0.5);
        refVariance = (expected * expected) / refN;
      }
      const z = (n - expected) / Math.sqrt(expected + refVariance);
      out.push({ column, value, source, observed: n, expected, rows: b.total, excess: (n - expected) / b.total, ratio: n / expected, pValue: upperP(z) });
    }
  }
  return out;
}
