/**
 * Slices, TFX style: the holdout cut by the values of one column (e.g. the ten busiest
 * origin airports), with the same metrics computed on every slice for every model.
 * The slice of each row is read once and shared by all models scored on that holdout.
 */
import { sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import { EvaluationError } from '../errors';
import type { SliceSpec } from '../pipeline/step-params';
import { readAllColumns } from '../training/duckdb-columns';
import { computeMetrics, type BinaryMetrics } from './metrics';

/** Default number of slices when a spec names neither `top` nor `values`. */
export const DEFAULT_TOP_SLICES = 10;

/** Which slice each holdout row belongs to, for one column. */
export interface SliceKeys {
  column: string;
  /** Slice values in report order (most frequent first for `top`, as given for `values`). */
  values: string[];
  /** Per row in file order: index into `values`, or -1 for a row in no slice. */
  codes: Int32Array;
  /** Slices with fewer rows get null metrics. */
  minRows: number;
}

/** One slice's rows and metrics; `metrics` is null below `minRows`. */
export interface SliceResult {
  value: string;
  rows: number;
  metrics: BinaryMetrics | null;
}

/**
 * Reads the slice of every row of `parquetPath` for each spec. Values are compared as text
 * (`CAST(column AS VARCHAR)`, null as ''), the way categorical model inputs are.
 * @throws EvaluationError when a sliced column is missing from the holdout.
 */
export async function readSliceKeys(parquetPath: string, specs: SliceSpec[]): Promise<SliceKeys[]> {
  if (specs.length === 0) return [];
  return withDuckDb({}, async (conn) => {
    const source = `read_parquet(${sqlString(parquetPath)})`;
    const columns = new Set((await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson().map((r) => String(r.column_name)));
    const count = Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${source}`)).getRowsJson()[0][0]);
    const keys: SliceKeys[] = [];
    for (const spec of specs) {
      if (!columns.has(spec.column)) {
        throw new EvaluationError(`slices: column "${spec.column}" is not in the holdout (columns: ${[...columns].join(', ')})`, {
          details: { column: spec.column },
        });
      }
      const text = `coalesce(CAST(${sqlIdent(spec.column)} AS VARCHAR), '')`;
      const values =
        spec.values ??
        (
          await conn.runAndReadAll(
            `SELECT ${text} AS v, count(*) AS n FROM ${source} GROUP BY v ORDER BY n DESC, v LIMIT ${spec.top ?? DEFAULT_TOP_SLICES}`,
          )
        )
          .getRowsJson()
          .map((r) => String(r[0]));
      const list = values.length > 0 ? `[${values.map(sqlString).join(', ')}]::VARCHAR[]` : `[]::VARCHAR[]`;
      // list_position is 1-based and null (or 0) when absent; a plain projection keeps file order.
      const result = await conn.stream(`SELECT (coalesce(list_position(${list}, ${text}), 0) - 1)::INTEGER FROM ${source}`);
      const [codes] = await readAllColumns(result, [{ name: spec.column, kind: 'int32' }], count);
      keys.push({ column: spec.column, values, codes: codes as Int32Array, minRows: spec.minRows });
    }
    return keys;
  });
}

/** Metrics of one model on every slice of one column. */
export function sliceMetrics(scores: Float32Array, labels: Uint8Array, keys: SliceKeys, threshold: number): SliceResult[] {
  if (scores.length !== keys.codes.length) {
    throw new EvaluationError(`slice column "${keys.column}" has ${keys.codes.length} rows but the model scored ${scores.length}`);
  }
  const counts = new Int32Array(keys.values.length);
  for (const code of keys.codes) if (code >= 0) counts[code]++;
  const members = Array.from(counts, (n) => ({ scores: new Float32Array(n), labels: new Uint8Array(n), filled: 0 }));
  for (let i = 0; i < keys.codes.length; i++) {
    const code = keys.codes[i];
    if (code < 0) continue;
    const m = members[code];
    m.scores[m.filled] = scores[i];
    m.labels[m.filled] = labels[i];
    m.filled++;
  }
  return keys.values.map((value, k) => ({
    value,
    rows: counts[k],
    metrics: counts[k] >= keys.minRows && counts[k] > 0 ? computeMetrics(members[k].scores, members[k].labels, threshold) : null,
  }));
}
