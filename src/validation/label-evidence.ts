/**
 * Gathers what the tainted-data checks judge: per slice, labelled rows, positives and the
 * positives expected, plus the confident predictions that disagree with their label, and the
 * feature values that could be backdoor triggers. With a champion the expectation is its own
 * prediction (onnxruntime, streamed batch by batch: nothing per row outlives its batch);
 * without one it is the reference data's positive rate in the same slice.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type * as ort from 'onnxruntime-node';
import { queryRows, sqlIdent, sqlString } from '../data/duckdb';
import { streamScores } from '../evaluation/score-model';
import type { PoisoningParams } from '../pipeline/step-params';
import { bucketValue } from './histogram';
import type { SliceColumn } from './label-slices';
import type { ColumnProfile, DatasetProfile } from './profile';

/** Labelled rows, positives, and the positives expected with their variance. */
export interface RateCounts {
  n: number;
  pos: number;
  expected: number;
  variance: number;
}

export interface SliceCounts extends RateCounts {
  column: string;
  value: string;
  /**
   * Champion only, for a column the champion does not take as input: the same slice of its own
   * holdout (observed and expected positives), so a slice it mis-predicts everywhere (say, an
   * hour, when it was trained without the hour) is judged against its own error there.
   */
  holdout?: { pos: number; expected: number };
}

/**
 * Confident predictions and how many of them the label contradicts, per side: `high` (p >=
 * confidence, contradicted by a 0) and `low` (p <= 1 - confidence, contradicted by a 1), with
 * the sum of p on each side so the expectation can follow the batch's overall label level.
 */
export interface ConfidentCounts {
  n: number;
  disagree: number;
  high: { n: number; disagree: number; sumP: number };
  low: { n: number; disagree: number; sumP: number };
}

export interface LabelEvidence {
  /** `champion`: expected from its predictions; `reference`: from the reference's per-slice rates. */
  basis: 'champion' | 'reference';
  global: RateCounts;
  slices: SliceCounts[];
  /** Champion only: this batch, and the champion's own holdout. */
  confident?: { batch: ConfidentCounts; holdout: ConfidentCounts };
  /** Champion only: observed and expected positives on its own holdout (its calibration). */
  holdout?: RateCounts;
}

/** Per-slice counts keyed by `column` and slice label, for looking a slice up in another dataset. */
export const sliceKey = (column: string, value: string): string => `${column}\u0000${value}`;

/** A feature value frequent enough in the batch to be a trigger, with its label counts and reference frequency. */
export interface TriggerCandidate {
  column: string;
  value: string;
  n: number;
  /** Binary: positives. Multiclass: rows of the value's most frequent class, `top`. Regression: 0. */
  pos: number;
  referenceCount: number;
  /** Multiclass: the value's most frequent class. */
  top?: string;
  /** Regression: mean and sd of the value's targets. */
  mean?: number;
  sd?: number;
}

/**
 * How a trigger candidate's labels are summed up per value: SQL over the batch returning `v`, `n`
 * and the task's statistics, and how to read them. Binary by default.
 */
export interface TriggerLabelStats {
  query(source: string, value: string, where: string, having: string): string;
  read(row: Record<string, unknown>): Pick<TriggerCandidate, 'pos' | 'top' | 'mean' | 'sd'>;
}

export const binaryTriggerStats = (label: string): TriggerLabelStats => {
  const y = sqlIdent(label);
  return {
    query: (source, value, where, having) => `SELECT ${value} AS v, count(*) AS n, sum(CAST(${y} AS INTEGER)) AS pos FROM ${source} WHERE ${y} IS NOT NULL AND ${where} GROUP BY 1 ${having}`,
    read: (r) => ({ pos: Number(r.pos ?? 0) }),
  };
};

const zero = (): RateCounts => ({ n: 0, pos: 0, expected: 0, variance: 0 });

/** One streamed pass of the champion over `files`: global, per-slice and confident counts. */
export async function scoreEvidence(
  conn: DuckDBConnection,
  session: ort.InferenceSession,
  files: string[],
  label: string,
  slices: SliceColumn[],
  confidence: number,
  /** Score only rows whose hash over `sample.columns` is 0 modulo `sample.modulus` (1: every row). */
  sample: { columns: string[]; modulus: number } = { columns: [], modulus: 1 },
): Promise<{ global: RateCounts; slices: SliceCounts[]; confident: ConfidentCounts }> {
  const global = zero();
  const confident: ConfidentCounts = { n: 0, disagree: 0, high: { n: 0, disagree: 0, sumP: 0 }, low: { n: 0, disagree: 0, sumP: 0 } };
  const { high, low } = confident;
  const per = slices.map((s) => s.labels.map(zero));
  const lo = 1 - confidence;
  const where = sample.modulus > 1 ? `hash(${sample.columns.map(sqlIdent).join(', ')}) % ${sample.modulus} = 0` : undefined;
  for await (const b of streamScores(conn, session, files, { label, extra: slices.map((s) => s.sql), ...(where ? { where } : {}) })) {
    const labels = b.labels!;
    for (let i = 0; i < b.rows; i++) {
      const y = labels[i];
      if (y !== 0 && y !== 1) continue;
      const p = b.scores[i];
      const v = p * (1 - p);
      global.n++;
      global.pos += y;
      global.expected += p;
      global.variance += v;
      if (p >= confidence) {
        high.n++;
        high.disagree += 1 - y;
        high.sumP += p;
      } else if (p <= lo) {
        low.n++;
        low.disagree += y;
        low.sumP += p;
      }
      for (let j = 0; j < per.length; j++) {
        const k = b.extra[j][i];
        if (k < 0) continue;
        const c = per[j][k];
        c.n++;
        c.pos += y;
        c.expected += p;
        c.variance += v;
      }
    }
  }
  confident.n = high.n + low.n;
  confident.disagree = high.disagree + low.disagree;
  return { global, confident, slices: flatten(slices, per) };
}

/** Per-slice counts without a champion: expected = slice rows × the reference's positive rate in that slice. */
export async function referenceEvidence(
  conn: DuckDBConnection,
  current: string[],
  reference: string,
  label: string,
  slices: SliceColumn[],
  /** SQL for "positive" (e.g. one class of a multiclass label) in place of the 0/1 label. */
  positiveSql: string = sqlIdent(label),
): Promise<LabelEvidence> {
  const cur = await sliceRates(conn, current, positiveSql, slices);
  const ref = await sliceRates(conn, [reference], positiveSql, slices);
  const per = slices.map((s, j) =>
    s.labels.map((_, k): RateCounts => {
      const c = cur[j][k];
      const r = ref[j][k];
      // A slice the reference lacks has no expectation; it is left to drift and categoryDomain.
      if (r.n < 1 || c.n === 0) return zero();
      const rate = r.pos / r.n;
      return { n: c.n, pos: c.pos, expected: c.n * rate, variance: c.n * rate * (1 - rate) };
    }),
  );
  const global = cur.global;
  const rate = ref.global.n ? ref.global.pos / ref.global.n : 0;
  return { basis: 'reference', global: { ...global, expected: global.n * rate, variance: global.n * rate * (1 - rate) }, slices: flatten(slices, per) };
}

async function sliceRates(conn: DuckDBConnection, files: string[], y: string, slices: SliceColumn[]) {
  const source = `read_parquet([${files.map(sqlString).join(', ')}])`;
  const per = slices.map((s) => s.labels.map(zero));
  const rows = await queryRows(
    conn,
    `SELECT ${slices.map((_, j) => `s${j}`).join(', ')}, ${slices.map((_, j) => `GROUPING(s${j}) AS g${j}`).join(', ')}, count(*) AS n, sum(y) AS pos
     FROM (SELECT ${slices.map((s, j) => `${s.sql} AS s${j}`).join(', ')}, CAST(${y} AS INTEGER) AS y FROM ${source} WHERE ${y} IS NOT NULL)
     GROUP BY GROUPING SETS (${slices.map((_, j) => `(s${j})`).join(', ')}, ())`,
  );
  const global = zero();
  for (const r of rows) {
    const j = slices.findIndex((_, i) => Number(r[`g${i}`]) === 0);
    if (j < 0) {
      global.n = Number(r.n);
      global.pos = Number(r.pos ?? 0);
      continue;
    }
    const k = Number(r[`s${j}`]);
    if (k >= 0) Object.assign(per[j][k], { n: Number(r.n), pos: Number(r.pos ?? 0) });
  }
  return Object.assign(per, { global });
}

function flatten(slices: SliceColumn[], per: RateCounts[][]): SliceCounts[] {
  return slices.flatMap((s, j) => s.labels.map((value, k) => ({ column: s.column, value, ...per[j][k] })));
}

/**
 * Feature values with at least `minRows` labelled rows and `minShare` of the batch, at least
 * `minLift` times as frequent as in the reference, with their positives. Frequencies come from
 * the profiles where they are exact (categories, whole-number grids), so the data is read again
 * only for the label counts of the few candidates, and for non-integer numeric columns (one
 * GROUP BY each), whose profiles are bucketed.
 */
export async function triggerCandidates(
  conn: DuckDBConnection,
  current: { files: string[]; profile: DatasetProfile },
  reference: { file: string; profile: DatasetProfile },
  label: string,
  features: string[],
  params: PoisoningParams,
  stats: TriggerLabelStats = binaryTriggerStats(label),
): Promise<TriggerCandidate[]> {
  const cur = `read_parquet([${current.files.map(sqlString).join(', ')}])`;
  const rows = current.profile.rows;
  const min = Math.max(params.trigger.minRows, Math.ceil(rows * params.trigger.minShare));
  const refRows = Math.max(reference.profile.rows, 1);
  const lifted = (n: number, refCount: number) => n / rows / (Math.max(refCount, 0.5) / refRows) >= params.trigger.minLift;
  const out: TriggerCandidate[] = [];
  for (const f of features) {
    const p = current.profile.columns[f];
    const r = reference.profile.columns[f];
    if (!p) continue;
    const c = sqlIdent(f);
    const exact = exactCounts(p);
    if (exact) {
      const refCounts = (r && exactCounts(r)) ?? new Map<string, number>();
      const values = [...exact].filter(([v, n]) => n >= min && lifted(n, refCounts.get(v) ?? 0)).map(([v]) => v);
      if (values.length === 0) continue;
      const found = await queryRows(conn, stats.query(cur, `CAST(${c} AS VARCHAR)`, `CAST(${c} AS VARCHAR) IN (${values.map(sqlString).join(', ')})`, ''));
      out.push(...found.map((x) => ({ column: f, value: String(x.v), n: Number(x.n), ...stats.read(x), referenceCount: refCounts.get(String(x.v)) ?? 0 })));
      continue;
    }
    // Bucketed numbers: exact values from the data, then their count in the reference.
    const found = await queryRows(conn, stats.query(cur, c, `${c} IS NOT NULL`, `HAVING count(*) >= ${min}`));
    if (found.length === 0) continue;
    const inRef = new Map(
      (await queryRows(conn, `SELECT ${c} AS v, count(*) AS n FROM read_parquet(${sqlString(reference.file)}) WHERE ${c} IN (${found.map((x) => Number(x.v)).join(', ')}) GROUP BY 1`)).map((x) => [Number(x.v), Number(x.n)]),
    );
    out.push(
      ...found
        .map((x) => ({ column: f, value: String(x.v), n: Number(x.n), ...stats.read(x), referenceCount: inRef.get(Number(x.v)) ?? 0 }))
        .filter((x) => lifted(x.n, x.referenceCount)),
    );
  }
  return out;
}

/** Exact value counts of a profiled column, or undefined when its profile is bucketed or hashed. */
function exactCounts(p: ColumnProfile): Map<string, number> | undefined {
  if (p.kind === 'categorical') return p.categories && !p.categories.some(([v]) => v.startsWith('#')) ? new Map(p.categories) : undefined;
  if (p.histogram?.exact) return new Map(p.histogram.bins.map(([k, n]) => [String(bucketValue(p.histogram!, k)), n]));
  return undefined;
}
