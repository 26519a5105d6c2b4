/**
 * DuckDB column types grouped into the families validation compares. A CSV partition sniffed as
 * INTEGER where the last one was BIGINT is the same data; a number column that turned into
 * VARCHAR is not.
 */

export type TypeFamily = 'numeric' | 'string' | 'temporal' | 'boolean' | 'other';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL(\(.*\))?|INT\d*)$/;
const TEMPORAL = /^(DATE|TIME|TIMESTAMP.*|TIME WITH TIME ZONE|INTERVAL)$/;

export function typeFamily(duckdbType: string): TypeFamily {
  const t = duckdbType.toUpperCase().trim();
  if (NUMERIC.test(t)) return 'numeric';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(') || t === 'JSON' || t === 'UUID' || t.startsWith('ENUM(')) return 'string';
  if (TEMPORAL.test(t)) return 'temporal';
  if (t === 'BOOLEAN') return 'boolean';
  return 'other';
}

/** True for whole-number types, whose histograms can count exact values. */
export function isIntegerType(duckdbType: string): boolean {
  return /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|INT\d*)$/.test(duckdbType.toUpperCase().trim());
}

/** A column as DuckDB's DESCRIBE reports it. */
export interface ColumnType {
  name: string;
  type: string;
}
