/**
 * What the tainted-data checks judge for a multiclass or regression label, the counterpart of
 * label-evidence.ts for binary ones. With a champion, its ONNX model streams over the batch
 * (DuckDB assigns slices, JavaScript keeps per-slice sums only):
 * - multiclass: per class, one-vs-rest counts (rows of the class, expected = Σ P(class)) globally
 *   and per slice, and the confident top-class predictions the label contradicts;
 * - regression: per slice the residuals' count, sum, sum of squares, and how many lie beyond the
 *   holdout's tail threshold.
 * Without a champion model the expectation is the reference's per-slice class share or mean target.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type * as ort from 'onnxruntime-node';
import { queryRows, sqlIdent, sqlString } from '../data/duckdb';
import { streamScores } from '../evaluation/score-model';
import { referenceEvidence, type RateCounts, type SliceCounts, type TriggerLabelStats } from './label-evidence';
import type { SliceColumn } from './label-slices';

/** Confident top-class predictions (P(top) >= confidence), those the label contradicts, and Σ(1 − P(top)) over them. */
export interface TopConfident {
  n: number;
  disagree: number;
  expected: number;
}

export interface MulticlassEvidence {
  task: 'multiclass';
  basis: 'champion' | 'reference';
  classes: string[];
  /** Per class (index-aligned with `classes`): "positive" means a row of that class. */
  perClass: Array<{ global: RateCounts; slices: SliceCounts[]; holdout?: RateCounts }>;
  /** Champion with a holdout: this batch, and the champion's own holdout. */
  confident?: { batch: TopConfident; holdout: TopConfident };
}

/** Residuals (observed − expected target) summed up; `tail`: how many lie beyond the baseline's tail threshold. */
export interface ResidualCounts {
  n: number;
  sum: number;
  sumSq: number;
  tail: number;
}

export interface RegressionEvidence {
  task: 'regression';
  basis: 'champion' | 'reference';
  global: ResidualCounts;
  slices: Array<ResidualCounts & { column: string; value: string }>;
  /**
   * What residuals look like when labels are honest: the champion's holdout (mean, sd, the
   * `tailQuantile` of |residual − mean| and the share beyond it), or, without one, mean 0 and
   * the reference target's sd (no tail).
   */
  baseline: { source: 'holdout' | 'batch' | 'reference'; n: number; mean: number; sd: number; tailThreshold?: number; tailShare?: number };
}

export type TaskLabelEvidence = MulticlassEvidence | RegressionEvidence;

const zeroRate = (): RateCounts => ({ n: 0, pos: 0, expected: 0, variance: 0 });
const zeroResidual = (): ResidualCounts => ({ n: 0, sum: 0, sumSq: 0, tail: 0 });

/** SQL: the label's class index in `classes`, -1 when null or not one of them. */
export const classIndexSql = (label: string, classes: string[]): string =>
  `coalesce(list_position([${classes.map(sqlString).join(', ')}], CAST(${sqlIdent(label)} AS VARCHAR)) - 1, -1)`;

type Sample = { columns: string[]; modulus: number };
const whereOf = (sample: Sample) => (sample.modulus > 1 ? { where: `hash(${sample.columns.map(sqlIdent).join(', ')}) % ${sample.modulus} = 0` } : {});

/** One streamed pass of a multiclass champion: per-class global and per-slice counts, and confident disagreements. */
export async function scoreMulticlass(
  conn: DuckDBConnection,
  session: ort.InferenceSession,
  files: string[],
  label: string,
  classes: string[],
  slices: SliceColumn[],
  confidence: number,
  sample: Sample,
): Promise<Pick<MulticlassEvidence, 'perClass'> & { confident: TopConfident }> {
  const K = classes.length;
  const global = classes.map(zeroRate);
  const per = classes.map(() => slices.map((s) => s.labels.map(zeroRate)));
  const confident: TopConfident = { n: 0, disagree: 0, expected: 0 };
  const stream = streamScores(conn, session, files, {
    label,
    labelSql: { sql: classIndexSql(label, classes), kind: 'int32' },
    output: { name: 'probabilities', width: K },
    extra: slices.map((s) => s.sql),
    ...whereOf(sample),
  });
  for await (const b of stream) {
    const labels = b.labels!;
    const probs = b.outputs!;
    for (let i = 0; i < b.rows; i++) {
      const y = labels[i];
      if (y < 0) continue;
      let top = 0;
      for (let c = 1; c < K; c++) if (probs[i * K + c] > probs[i * K + top]) top = c;
      const pTop = probs[i * K + top];
      if (pTop >= confidence) {
        confident.n++;
        confident.disagree += y === top ? 0 : 1;
        confident.expected += 1 - pTop;
      }
      for (let c = 0; c < K; c++) {
        const p = probs[i * K + c];
        const hit = y === c ? 1 : 0;
        add(global[c], hit, p);
        for (let j = 0; j < slices.length; j++) {
          const k = b.extra[j][i];
          if (k >= 0) add(per[c][j][k], hit, p);
        }
      }
    }
  }
  return { perClass: classes.map((_, c) => ({ global: global[c], slices: flatten(slices, per[c]) })), confident };
}

function add(r: RateCounts, hit: number, p: number): void {
  r.n++;
  r.pos += hit;
  r.expected += p;
  r.variance += p * (1 - p);
}

function flatten<T>(slices: SliceColumn[], per: T[][]): Array<T & { column: string; value: string }> {
  return slices.flatMap((s, j) => s.labels.map((value, k) => ({ column: s.column, value, ...per[j][k] })));
}

/** Without a champion: per class, the reference's share of that class in the same slice. */
export async function multiclassReferenceEvidence(conn: DuckDBConnection, current: string[], reference: string, label: string, classes: string[], slices: SliceColumn[]): Promise<MulticlassEvidence> {
  const perClass = [];
  for (const c of classes) {
    const e = await referenceEvidence(conn, current, reference, label, slices, `(CAST(${sqlIdent(label)} AS VARCHAR) = ${sqlString(c)})`);
    perClass.push({ global: e.global, slices: e.slices });
  }
  return { task: 'multiclass', basis: 'reference', classes, perClass };
}

/** The champion's residuals on its holdout: mean, sd and the `quantile` of |residual − mean|. */
export async function holdoutResiduals(conn: DuckDBConnection, session: ort.InferenceSession, file: string, label: string, quantile: number, sample: Sample): Promise<RegressionEvidence['baseline']> {
  const residuals: number[] = [];
  for await (const b of streamScores(conn, session, [file], { label, labelSql: { sql: `CAST(${sqlIdent(label)} AS DOUBLE)`, kind: 'float64' }, output: { name: 'value' }, ...whereOf(sample) })) {
    for (let i = 0; i < b.rows; i++) if (Number.isFinite(b.targets![i])) residuals.push(b.targets![i] - b.outputs![i]);
  }
  const n = residuals.length;
  const mean = residuals.reduce((a, r) => a + r, 0) / Math.max(n, 1);
  const sd = Math.sqrt(residuals.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(n - 1, 1));
  const spread = Float64Array.from(residuals, (r) => Math.abs(r - mean)).sort();
  const tailThreshold = n ? spread[Math.min(n - 1, Math.floor(quantile * n))] : 0;
  const beyond = spread.filter((x) => x > tailThreshold).length;
  return { source: 'holdout', n, mean, sd, tailThreshold, tailShare: n ? beyond / n : 0 };
}

/** One streamed pass of a regression champion: residual sums globally and per slice, and the tail count. */
export async function scoreRegression(
  conn: DuckDBConnection,
  session: ort.InferenceSession,
  files: string[],
  label: string,
  slices: SliceColumn[],
  baseline: { mean: number; tailThreshold?: number },
  sample: Sample,
): Promise<Pick<RegressionEvidence, 'global' | 'slices'>> {
  const global = zeroResidual();
  const per = slices.map((s) => s.labels.map(zeroResidual));
  const stream = streamScores(conn, session, files, {
    label,
    labelSql: { sql: `CAST(${sqlIdent(label)} AS DOUBLE)`, kind: 'float64' },
    output: { name: 'value' },
    extra: slices.map((s) => s.sql),
    ...whereOf(sample),
  });
  for await (const b of stream) {
    for (let i = 0; i < b.rows; i++) {
      const y = b.targets![i];
      if (!Number.isFinite(y)) continue;
      const r = y - b.outputs![i];
      const tail = baseline.tailThreshold !== undefined && Math.abs(r - baseline.mean) > baseline.tailThreshold ? 1 : 0;
      addResidual(global, r, tail);
      for (let j = 0; j < slices.length; j++) {
        const k = b.extra[j][i];
        if (k >= 0) addResidual(per[j][k], r, tail);
      }
    }
  }
  return { global, slices: flatten(slices, per) };
}

function addResidual(c: ResidualCounts, r: number, tail: number): void {
  c.n++;
  c.sum += r;
  c.sumSq += r * r;
  c.tail += tail;
}

/**
 * Without a champion: residual = target − the reference's mean target in the same slice (the
 * global residual against the reference's overall mean); the baseline sd is the reference target's.
 */
export async function regressionReferenceEvidence(conn: DuckDBConnection, current: string[], reference: string, label: string, slices: SliceColumn[]): Promise<RegressionEvidence> {
  const cur = await sliceMoments(conn, current, label, slices);
  const ref = await sliceMoments(conn, [reference], label, slices);
  const residual = (c: Moments, r: Moments): ResidualCounts => {
    if (r.n < 1 || c.n === 0) return zeroResidual();
    const m = r.sum / r.n;
    return { n: c.n, sum: c.sum - c.n * m, sumSq: c.sumSq - 2 * m * c.sum + c.n * m * m, tail: 0 };
  };
  const per = slices.map((s, j) => s.labels.map((_, k) => residual(cur.per[j][k], ref.per[j][k])));
  const g = ref.global;
  const mean = g.sum / Math.max(g.n, 1);
  const sd = Math.sqrt(Math.max(g.sumSq / Math.max(g.n, 1) - mean * mean, 0));
  return { task: 'regression', basis: 'reference', global: residual(cur.global, g), slices: flatten(slices, per), baseline: { source: 'reference', n: g.n, mean: 0, sd } };
}

interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

async function sliceMoments(conn: DuckDBConnection, files: string[], label: string, slices: SliceColumn[]): Promise<{ global: Moments; per: Moments[][] }> {
  const zero = (): Moments => ({ n: 0, sum: 0, sumSq: 0 });
  const per = slices.map((s) => s.labels.map(zero));
  const global = zero();
  const y = `CAST(${sqlIdent(label)} AS DOUBLE)`;
  const sets = [...slices.map((_, j) => `(s${j})`), '()'].join(', ');
  const rows = await queryRows(
    conn,
    `SELECT ${[...slices.map((_, j) => `s${j}, GROUPING(s${j}) AS g${j}`), 'count(*) AS n', 'sum(y) AS sy', 'sum(y * y) AS syy'].join(', ')}
     FROM (SELECT ${[...slices.map((s, j) => `${s.sql} AS s${j}`), `${y} AS y`].join(', ')} FROM read_parquet([${files.map(sqlString).join(', ')}]) WHERE isfinite(${y}))
     GROUP BY GROUPING SETS (${sets})`,
  );
  for (const r of rows) {
    const m = { n: Number(r.n), sum: Number(r.sy ?? 0), sumSq: Number(r.syy ?? 0) };
    const j = slices.findIndex((_, i) => Number(r[`g${i}`]) === 0);
    if (j < 0) Object.assign(global, m);
    else if (Number(r[`s${j}`]) >= 0) Object.assign(per[j][Number(r[`s${j}`])], m);
  }
  return { global, per };
}

/** Trigger statistics for a multiclass label: rows per value and of its most frequent class. */
export const multiclassTriggerStats = (label: string): TriggerLabelStats => {
  const y = sqlIdent(label);
  return {
    query: (source, value, where, having) =>
      `SELECT v, sum(k) AS n, arg_max(y, k) AS top, max(k) AS pos FROM (SELECT ${value} AS v, CAST(${y} AS VARCHAR) AS y, count(*) AS k FROM ${source} WHERE ${y} IS NOT NULL AND ${where} GROUP BY 1, 2) GROUP BY v ${having.replace('count(*)', 'sum(k)')}`,
    read: (r) => ({ pos: Number(r.pos ?? 0), top: String(r.top) }),
  };
};

/** Trigger statistics for a regression target: mean and sd of the value's targets. */
export const regressionTriggerStats = (label: string): TriggerLabelStats => {
  const y = `CAST(${sqlIdent(label)} AS DOUBLE)`;
  return {
    query: (source, value, where, having) => `SELECT ${value} AS v, count(*) AS n, avg(${y}) AS mean, coalesce(stddev_pop(${y}), 0) AS sd FROM ${source} WHERE isfinite(${y}) AND ${where} GROUP BY 1 ${having}`,
    read: (r) => ({ pos: 0, mean: Number(r.mean), sd: Number(r.sd) }),
  };
};

/** The reference target's mean and sd, which a regression trigger's targets are compared with. */
export async function targetMoments(conn: DuckDBConnection, file: string, label: string): Promise<{ mean: number; sd: number }> {
  const y = `CAST(${sqlIdent(label)} AS DOUBLE)`;
  const [r] = await queryRows(conn, `SELECT avg(${y}) AS mean, coalesce(stddev_pop(${y}), 0) AS sd FROM read_parquet(${sqlString(file)}) WHERE isfinite(${y})`);
  return { mean: Number(r.mean ?? 0), sd: Number(r.sd ?? 0) };
}

