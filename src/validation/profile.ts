/**
 * Profiles of snapshot files: row and null counts, exact min/max, a histogram per numeric column
 * and counts per category, and the share of duplicated rows. Built for 3M-row snapshots in well
 * under a second: min, max and nulls come from the Parquet footers, each distribution from a
 * one-column GROUP BY, duplicates from one hash-partitioned sample.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlIdent, sqlString } from '../data/duckdb';
import { isIntegerType, type ColumnType } from './column-types';
import type { CategoryCounts, NumericHistogram } from './histogram';

export type ColumnKind = 'numeric' | 'categorical';

/** How one column is bucketed; reference and current data must share the plan. */
export interface ColumnPlan {
  name: string;
  /** DuckDB type in the file. */
  type: string;
  kind: ColumnKind;
  /** Numeric: bucket width. */
  quantum?: number;
  /** Numeric: whole-number values with quantum 1, so each bucket is one value. */
  exact?: boolean;
  /** Numeric: keys are clamped into this range, so far outliers land in the edge buckets. */
  keyRange?: [number, number];
  /** Categorical: count `hash(value) % hashBuckets` instead of values (too many values to list). */
  hashBuckets?: number;
}

export interface ColumnProfile {
  name: string;
  type: string;
  kind: ColumnKind;
  rows: number;
  /** Nulls, plus NaN and ±Infinity in numeric columns. */
  nulls: number;
  /** Numeric: exact smallest and largest finite values (null when there are none). */
  min?: number | null;
  max?: number | null;
  histogram?: NumericHistogram;
  /** Categorical: every value's count, most frequent first. */
  categories?: CategoryCounts;
}

export interface DatasetProfile {
  rows: number;
  columns: Record<string, ColumnProfile>;
  /** Duplicate rows in a sample that keeps every copy of a row together (rows with `hash % modulus = 0`). */
  duplicates?: { sampledRows: number; duplicateRows: number; modulus: number };
}

/** Rows per file set, and per column exact min/max and null counts from the Parquet footers. */
export interface FooterStats {
  rows: number;
  columns: Map<string, { min: number | null; max: number | null; nulls: number | null }>;
}

/** Rows sampled for the duplicate estimate; smaller files are checked exactly. */
const DUPLICATE_SAMPLE_ROWS = 250_000;
/** Buckets of a numeric grid across the planning range. */
export const GRID_BUCKETS = 4096;

export async function readFooterStats(conn: DuckDBConnection, files: string[]): Promise<FooterStats> {
  const list = fileList(files);
  const [{ rows }] = await queryRows(conn, `SELECT coalesce(sum(num_rows), 0) AS rows FROM parquet_file_metadata(${list})`);
  const stats = await queryRows(
    conn,
    `SELECT path_in_schema AS name, sum(stats_null_count) AS nulls,
       min(TRY_CAST(stats_min_value AS DOUBLE)) AS min, max(TRY_CAST(stats_max_value AS DOUBLE)) AS max
     FROM parquet_metadata(${list}) GROUP BY 1`,
  );
  const finite = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    rows: Number(rows),
    columns: new Map(stats.map((s) => [String(s.name), { min: finite(s.min), max: finite(s.max), nulls: s.nulls == null ? null : Number(s.nulls) }])),
  };
}

/**
 * A numeric grid over [lo, hi]: whole numbers counted exactly while the range allows, otherwise
 * GRID_BUCKETS buckets; keys beyond one range-width outside [lo, hi] are clamped to the edge.
 */
export function numericGrid(type: string, lo: number, hi: number): Pick<ColumnPlan, 'quantum' | 'exact' | 'keyRange'> {
  const span = Math.max(hi - lo, 0);
  const integer = isIntegerType(type);
  const quantum = integer ? Math.max(1, Math.ceil(span / GRID_BUCKETS)) : span > 0 ? span / GRID_BUCKETS : Math.max(Math.abs(lo), 1) / GRID_BUCKETS;
  const k0 = Math.floor(lo / quantum);
  const k1 = Math.floor(hi / quantum);
  const pad = Math.max(k1 - k0, GRID_BUCKETS);
  return { quantum, exact: integer && quantum === 1, keyRange: [k0 - pad, k1 + pad] };
}

export interface ProfileOptions {
  /** Columns hashed together for the duplicate estimate; none: no estimate. */
  duplicateColumns?: string[];
}

/** Profiles `files` (Parquet) column by column according to `plan`. */
export async function profileFiles(
  conn: DuckDBConnection,
  files: string[],
  plan: ColumnPlan[],
  footer: FooterStats,
  options: ProfileOptions = {},
): Promise<DatasetProfile> {
  const source = `read_parquet(${fileList(files)})`;
  const columns: Record<string, ColumnProfile> = {};
  for (const p of plan) {
    const f = footer.columns.get(p.name);
    columns[p.name] = { name: p.name, type: p.type, kind: p.kind, rows: footer.rows, nulls: 0, ...(p.kind === 'numeric' ? { min: f?.min ?? null, max: f?.max ?? null } : {}) };
  }
  if (footer.rows > 0) {
    // One small query per column: DuckDB reads just that column, and a GROUP BY on raw values is
    // far cheaper than computing a bucket expression for every row (~30 ms vs ~400 ms for 3M rows).
    for (const p of plan) fillColumn(columns[p.name], p, await queryRows(conn, columnSql(p, source)));
    await fillMissingRange(conn, source, plan, columns);
  }
  const duplicates = options.duplicateColumns?.length ? await sampleDuplicates(conn, source, options.duplicateColumns, footer.rows) : undefined;
  return { rows: footer.rows, columns, ...(duplicates ? { duplicates } : {}) };
}

/** `k` (value, bucket key or null) and `n` per group; numeric values are bucketed after grouping, per distinct value. */
function columnSql(p: ColumnPlan, source: string): string {
  const c = sqlIdent(p.name);
  if (p.kind === 'categorical') {
    const key = p.hashBuckets ? `CASE WHEN ${c} IS NOT NULL THEN hash(${c}) % ${p.hashBuckets} END` : c;
    return `SELECT ${key} AS k, count(*) AS n FROM ${source} GROUP BY ALL`;
  }
  const integer = isIntegerType(p.type);
  const v = integer ? 'v' : 'CAST(v AS DOUBLE)';
  const present = integer ? 'v IS NOT NULL' : `isfinite(${v})`;
  const key = p.exact ? v : `floor(${v} / ${p.quantum})`;
  const [lo, hi] = p.keyRange ?? [-1e15, 1e15];
  return `SELECT CASE WHEN ${present} THEN CAST(least(greatest(${key}, ${lo}), ${hi}) AS BIGINT) END AS k, sum(n) AS n
    FROM (SELECT ${c} AS v, count(*) AS n FROM ${source} GROUP BY ALL) GROUP BY ALL`;
}

function fillColumn(col: ColumnProfile, p: ColumnPlan, groups: Array<Record<string, unknown>>): void {
  let nulls = 0;
  const present: Array<[unknown, number]> = [];
  for (const { k, n } of groups) {
    if (k === null || k === undefined) nulls += Number(n);
    else present.push([k, Number(n)]);
  }
  col.nulls = nulls;
  if (p.kind === 'numeric') {
    const bins = present.map(([k, n]): [number, number] => [Number(k), n]).sort((a, b) => a[0] - b[0]);
    col.histogram = { quantum: p.quantum ?? 1, exact: p.exact ?? false, bins };
  } else {
    const label = (k: unknown) => (p.hashBuckets ? `#${String(k)}` : String(k));
    col.categories = present
      .map(([k, n]): [string, number] => [label(k), n])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** Footers without usable min/max (older writers, NaN in the data): ask the data. */
async function fillMissingRange(conn: DuckDBConnection, source: string, plan: ColumnPlan[], columns: Record<string, ColumnProfile>): Promise<void> {
  const missing = plan.filter((p) => p.kind === 'numeric' && columns[p.name].nulls < columns[p.name].rows && (columns[p.name].min == null || columns[p.name].max == null));
  if (missing.length === 0) return;
  const expr = (p: ColumnPlan) => `CASE WHEN isfinite(CAST(${sqlIdent(p.name)} AS DOUBLE)) THEN CAST(${sqlIdent(p.name)} AS DOUBLE) END`;
  const [r] = await queryRows(conn, `SELECT ${missing.map((p, i) => `min(${expr(p)}) AS lo${i}, max(${expr(p)}) AS hi${i}`).join(', ')} FROM ${source}`);
  missing.forEach((p, i) => {
    columns[p.name].min = r[`lo${i}`] == null ? null : Number(r[`lo${i}`]);
    columns[p.name].max = r[`hi${i}`] == null ? null : Number(r[`hi${i}`]);
  });
}

/**
 * Share of duplicated rows from a sample chosen by the row's own hash: every copy of a row has
 * the same hash, so duplicates are sampled together and the sample's share estimates the whole.
 */
async function sampleDuplicates(conn: DuckDBConnection, source: string, columns: string[], rows: number) {
  const modulus = Math.max(1, Math.floor(rows / DUPLICATE_SAMPLE_ROWS));
  const [r] = await queryRows(
    conn,
    `SELECT count(*) AS n, count(DISTINCT h) AS d
     FROM (SELECT hash(${columns.map(sqlIdent).join(', ')}) AS h FROM ${source}) ${modulus > 1 ? `WHERE h % ${modulus} = 0` : ''}`,
  );
  return { sampledRows: Number(r.n), duplicateRows: Number(r.n) - Number(r.d), modulus };
}

const fileList = (files: string[]): string => `[${files.map(sqlString).join(', ')}]`;

/** Column types of Parquet files, as DuckDB reads them. */
export async function describeFiles(conn: DuckDBConnection, files: string[]): Promise<ColumnType[]> {
  return (await queryRows(conn, `DESCRIBE SELECT * FROM read_parquet(${fileList(files)})`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}
