/**
 * Slices of a batch for the label-consistency checks: each categorical feature's frequent
 * values, and quantile bins (or the exact values, when there are few) of each numeric one.
 * Each slice column becomes one SQL expression mapping a row to its slice index (-1: none), so
 * DuckDB assigns slices while it streams rows and JavaScript only adds up per index. Pure.
 */
import type { PoisoningParams } from '../pipeline/step-params';
import { sqlIdent, sqlString } from '../data/duckdb';
import { bucketValue, histogramQuantile } from './histogram';
import type { ColumnProfile, DatasetProfile } from './profile';

export interface SliceColumn {
  column: string;
  /** Display name of each slice, e.g. `ATL` or `[412, 632)`. */
  labels: string[];
  /** SQL over the snapshot's columns: the row's slice index, -1 when it falls in none. */
  sql: string;
}

/** Numeric columns with at most this many distinct values are sliced value by value. */
const EXACT_VALUES = 31;

export function sliceColumns(current: DatasetProfile, reference: DatasetProfile | undefined, features: string[], params: PoisoningParams): SliceColumn[] {
  return features.flatMap((name): SliceColumn[] => {
    const cur = current.columns[name];
    if (!cur) return [];
    const ref = reference?.columns[name];
    return cur.kind === 'categorical' ? categorical(cur, params) : numeric(cur, ref?.kind === 'numeric' ? ref : undefined, params);
  });
}

function categorical(p: ColumnProfile, params: PoisoningParams): SliceColumn[] {
  // Hash-bucketed columns (no domain, e.g. IDs) have no values to name.
  const values = (p.categories ?? [])
    .filter(([v, n]) => !v.startsWith('#') && n >= params.minSliceRows)
    .slice(0, params.maxSlicesPerColumn)
    .map(([v]) => v);
  if (values.length < 2) return [];
  return [{ column: p.name, labels: values, sql: `coalesce(list_position([${values.map(sqlString).join(', ')}], CAST(${sqlIdent(p.name)} AS VARCHAR)), 0) - 1` }];
}

function numeric(cur: ColumnProfile, ref: ColumnProfile | undefined, params: PoisoningParams): SliceColumn[] {
  const h = (ref ?? cur).histogram;
  if (!h || h.bins.length === 0) return [];
  const c = sqlIdent(cur.name);
  if (h.exact && h.bins.length <= EXACT_VALUES) {
    const values = h.bins.map(([k]) => bucketValue(h, k));
    return [{ column: cur.name, labels: values.map(String), sql: `coalesce(list_position([${values.join(', ')}], CAST(${c} AS DOUBLE)), 0) - 1` }];
  }
  const edges = [...new Set(Array.from({ length: params.numericBins - 1 }, (_, i) => histogramQuantile(h, (i + 1) / params.numericBins)))]
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (edges.length === 0) return [];
  const bounds = [-Infinity, ...edges, Infinity];
  const labels = bounds.slice(0, -1).map((lo, i) => `[${fmt(lo)}, ${fmt(bounds[i + 1])})`);
  const cases = edges.map((e, i) => `WHEN CAST(${c} AS DOUBLE) < ${e} THEN ${i}`).join(' ');
  return [{ column: cur.name, labels, sql: `CASE WHEN ${c} IS NULL OR NOT isfinite(CAST(${c} AS DOUBLE)) THEN -1 ${cases} ELSE ${edges.length} END` }];
}

const fmt = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : x > 0 ? '∞' : '-∞');
