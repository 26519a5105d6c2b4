/**
 * A label definition compiled to DuckDB SQL over the source's columns. Identifiers are quoted and
 * literals escaped (both already validated by the label schema: names are plain identifiers, texts
 * bounded and free of control characters, numbers finite), so no part of a spec is pasted into SQL.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataSourceError } from '../errors';
import { LABEL_LIMITS, type LabelDefinition } from '../pipeline/label-spec';
import { typeFamily } from '../validation/column-types';
import { queryRows, sqlIdent, sqlString } from './duckdb';

/** The label's SQL expression and, when values can fail to convert (become null), the source value to check. */
export interface LabelSql {
  sql: string;
  /** Source expression whose non-null values must not turn null; absent when the conversion cannot fail. */
  raw?: string;
}

const COMPARE = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', ne: '<>' } as const;

/** A literal as SQL: numbers as JavaScript prints them (finite, checked again here), text quoted. */
export function sqlLiteral(value: number | string | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`label value ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return sqlString(value);
}

/**
 * The label column's SQL for a source column of DuckDB type `sourceType`:
 * binary labels are INTEGER 0/1, multiclass labels VARCHAR class names, regression targets DOUBLE.
 */
export function labelSql(label: LabelDefinition, sourceType: string): LabelSql {
  const raw = sqlIdent(label.column);
  const family = typeFamily(sourceType);
  // A cast that cannot fail is exact; one that can keeps `raw` so ingest counts what turned null.
  const asNumber = family === 'numeric' ? { x: raw } : { x: `TRY_CAST(${raw} AS DOUBLE)`, raw };
  const asText = family === 'string' ? raw : `CAST(${raw} AS VARCHAR)`;
  if (label.task === 'regression') {
    return asNumber.raw === undefined ? { sql: `CAST(${raw} AS DOUBLE)` } : { sql: asNumber.x, raw };
  }
  if (label.task === 'multiclass') {
    if (!label.classes) return { sql: asText };
    // Pinned classes: any other value becomes null and is counted, so an unseen class is named, not learned.
    return { sql: `CASE WHEN ${asText} IN (${label.classes.map(sqlString).join(', ')}) THEN ${asText} END`, raw };
  }
  switch (label.kind) {
    case 'indicator': {
      if (family === 'boolean') return { sql: `CAST(${raw} AS INTEGER)` };
      // Anything but 0 and 1 becomes null and is counted, so validation can name the bad values.
      const num = family === 'numeric' ? raw : `TRY_CAST(${raw} AS DOUBLE)`;
      return { sql: `CASE WHEN ${num} IN (0, 1) THEN CAST(${num} AS INTEGER) END`, raw };
    }
    case 'compare':
      return { sql: `CAST(${asNumber.x} ${COMPARE[label.op]} ${sqlLiteral(label.value)} AS INTEGER)`, ...withRaw(asNumber.raw) };
    case 'equals': {
      const op = COMPARE[label.op];
      if (typeof label.value === 'number') return { sql: `CAST(${asNumber.x} ${op} ${sqlLiteral(label.value)} AS INTEGER)`, ...withRaw(asNumber.raw) };
      if (typeof label.value === 'boolean') {
        return family === 'boolean'
          ? { sql: `CAST(${raw} ${op} ${sqlLiteral(label.value)} AS INTEGER)` }
          : { sql: `CAST(TRY_CAST(${raw} AS BOOLEAN) ${op} ${sqlLiteral(label.value)} AS INTEGER)`, raw };
      }
      return { sql: `CAST(${asText} ${op} ${sqlLiteral(label.value)} AS INTEGER)` };
    }
    case 'member': {
      const not = label.op === 'notIn' ? 'NOT ' : '';
      const list = label.values.map(sqlLiteral).join(', ');
      if (typeof label.values[0] === 'number') return { sql: `CAST(${asNumber.x} ${not}IN (${list}) AS INTEGER)`, ...withRaw(asNumber.raw) };
      return { sql: `CAST(${asText} ${not}IN (${list}) AS INTEGER)` };
    }
  }
}

function withRaw(raw: string | undefined): { raw?: string } {
  return raw === undefined ? {} : { raw };
}

/**
 * The classes of a multiclass label column in `relation` (any SQL relation, e.g. a
 * `read_parquet(...)` call): its distinct non-null values, sorted, so the class order (and the
 * model's probability columns) is a pure function of the data.
 * @throws DataSourceError with fewer than 2 classes or more than {@link LABEL_LIMITS.maxClasses}.
 */
export async function inferClasses(conn: DuckDBConnection, relation: string, column: string): Promise<string[]> {
  const limit = LABEL_LIMITS.maxClasses;
  const rows = await queryRows(
    conn,
    `SELECT DISTINCT CAST(${sqlIdent(column)} AS VARCHAR) AS c FROM ${relation} WHERE ${sqlIdent(column)} IS NOT NULL ORDER BY c LIMIT ${limit + 1}`,
  );
  const classes = rows.map((r) => String(r.c));
  if (classes.length > limit) {
    throw new DataSourceError(`label column "${column}" has more than ${limit} classes; a multiclass label needs a categorical column (or pin label.classes)`, {
      details: { column },
    });
  }
  if (classes.length < 2) {
    throw new DataSourceError(`label column "${column}" has ${classes.length} class(es) (${classes.join(', ')}); a multiclass label needs at least 2`, {
      details: { column, classes },
    });
  }
  return classes;
}
