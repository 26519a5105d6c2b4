/**
 * Loads a Parquet file into the dense, already-encoded arrays the trainers fit on.
 * DuckDB does the heavy lifting (casting, vocabulary counts, the category → code join),
 * so JavaScript only ever sees numbers. Rows keep the file's order, which is what makes
 * two runs over the same file produce byte-identical models.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataSourceError } from '../errors';
import type { FeatureSpec } from './feature-spec';
import { sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import { readAllColumns, type ColumnRead } from './duckdb-columns';

/** Mean and standard deviation of a numeric column over the training rows (nulls ignored). */
export interface NumericStats {
  mean: number;
  /** Population standard deviation; 1 when the column is constant or entirely null. */
  std: number;
}

/**
 * Everything needed to turn raw column values into model inputs; learned on the training
 * data and baked into the ONNX graph.
 */
export interface FeatureEncoding {
  /** Standardisation per numeric column. */
  numeric: Record<string, NumericStats>;
  /**
   * Known categories per categorical column, most frequent first. A value's code is its
   * index; every other value (including ones first seen at serving time) gets code
   * `vocab.length`, the out-of-vocabulary slot.
   */
  vocab: Record<string, string[]>;
}

/** A training table as column arrays, in the Parquet file's row order. */
export interface EncodedData {
  rows: number;
  /** Standardised numeric columns in `features.numeric` order; nulls are imputed with the mean, i.e. 0. */
  numeric: Float32Array[];
  /** Category codes in `features.categorical` order, in `[0, vocab.length]`. */
  categorical: Int32Array[];
  /** The label, 0 or 1; empty when the target is multiclass or regression (see `classIndex`, `target`). */
  label: Uint8Array;
  /** Multiclass: each row's class, an index into the `target.classes` it was loaded with. */
  classIndex?: Int32Array;
  /** Regression: each row's numeric target. */
  target?: Float64Array;
  /** With `ageColumn`: each row's age in days before the newest row (0 for a row without a time). */
  ageDays?: Float64Array;
  encoding: FeatureEncoding;
}

/** What the label column holds, when it is not a binary 0/1 label. */
export type LoadTarget = { task: 'multiclass'; classes: string[] } | { task: 'regression' };

/** Options for {@link loadEncodedData}. */
export interface LoadOptions {
  /**
   * Most categories kept per categorical column (by frequency, ties by value); rarer ones
   * share the out-of-vocabulary code.
   * @default 1000
   */
  maxCategories?: number;
  /**
   * Apply this encoding (e.g. the training data's) instead of learning one, so holdout
   * data is encoded exactly as the model will see it.
   */
  encoding?: FeatureEncoding;
  /** Aborting interrupts the running DuckDB query; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Read the label as class names (multiclass, each must be one of `classes`) or a number (regression).
   * @default a binary 0/1 label
   */
  target?: LoadTarget;
  /**
   * A timestamp column (the ingest's `event_time`) to read each row's age from, for recency weights.
   * @default no ages
   */
  ageColumn?: string;
}

const DEFAULT_MAX_CATEGORIES = 1000;

/**
 * Reads `features` and the label from `parquetPath` and encodes them.
 * Categorical values are cast to VARCHAR (null becomes ''), numeric ones to float32.
 * @throws DataSourceError when the file is unreadable, a column is missing, or a label is not 0/1.
 */
export async function loadEncodedData(
  parquetPath: string,
  features: FeatureSpec,
  options: LoadOptions = {},
): Promise<EncodedData> {
  const { signal } = options;
  signal?.throwIfAborted();
  return withDuckDb({}, async (connection) => {
    const interrupt = (): void => connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      return await load(connection, parquetPath, features, options);
    } catch (err) {
      // An interrupted query fails with DuckDB's own error; the caller asked for the abort reason.
      if (signal?.aborted) throw signal.reason;
      throw err;
    } finally {
      signal?.removeEventListener('abort', interrupt);
    }
  });
}

async function load(
  connection: DuckDBConnection,
  parquetPath: string,
  features: FeatureSpec,
  options: LoadOptions,
): Promise<EncodedData> {
  const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  const target = options.target;
  const source = `read_parquet(${sqlString(parquetPath)}, file_row_number = true)`;
  const age = options.ageColumn;
  await assertColumnsExist(connection, parquetPath, [...features.numeric, ...features.categorical, features.label, ...(age ? [age] : [])]);
  const rows = await countRows(connection, source);
  if (rows === 0) {
    throw new DataSourceError(`${parquetPath} has no rows to train on`, { details: { path: parquetPath } });
  }

  const vocab: Record<string, string[]> = {};
  for (const [i, column] of features.categorical.entries()) {
    vocab[column] = options.encoding?.vocab[column] ?? (await learnVocab(connection, source, column, maxCategories));
    await createVocabTable(connection, `vocab_${i}`, vocab[column]);
  }

  const reads: ColumnRead[] = [
    ...features.numeric.map((name) => ({ name, kind: 'float32' as const })),
    ...features.categorical.map((name) => ({ name, kind: 'int32' as const })),
    { name: features.label, kind: target?.task === 'regression' ? 'float64' : 'int32' },
    ...(age ? [{ name: age, kind: 'float64' as const }] : []),
  ];
  const select = [
    ...features.numeric.map((c) => `CAST(t.${sqlIdent(c)} AS FLOAT)`),
    ...features.categorical.map((c, i) => `COALESCE(v${i}.code, ${vocab[c].length})::INTEGER`),
    labelSelect(features.label, target),
    // Days before the newest row; a row without a time counts as new rather than dropping out of the fit.
    ...(age ? [`COALESCE((epoch(max(t.${sqlIdent(age)}) OVER ()) - epoch(t.${sqlIdent(age)})) / 86400.0, 0)::DOUBLE`] : []),
  ];
  const joins = features.categorical.map(
    (c, i) => `LEFT JOIN vocab_${i} v${i} ON v${i}.v = COALESCE(CAST(t.${sqlIdent(c)} AS VARCHAR), '')`,
  );
  if (target?.task === 'multiclass') {
    await createVocabTable(connection, 'classes', target.classes);
    joins.push(`LEFT JOIN classes lc ON lc.v = CAST(t.${sqlIdent(features.label)} AS VARCHAR)`);
  }
  // Joins scramble row order; sorting on the file row number restores it for determinism.
  const sql = `SELECT ${select.join(', ')} FROM ${source} t ${joins.join(' ')} ORDER BY t.file_row_number`;
  const columns = await wrapRead(parquetPath, async () => readAllColumns(await connection.stream(sql), reads, rows));

  const numericStats: Record<string, NumericStats> = {};
  const numeric = features.numeric.map((column, i) => {
    const values = columns[i] as Float32Array;
    numericStats[column] = options.encoding?.numeric[column] ?? computeStats(values);
    standardiseInPlace(values, numericStats[column]);
    return values;
  });
  const categorical = features.categorical.map((_, i) => columns[features.numeric.length + i] as Int32Array);
  const encoding = { numeric: numericStats, vocab };
  const ages = age ? { ageDays: columns[columns.length - 1] as Float64Array } : {};
  const last = columns[columns.length - 1 - (age ? 1 : 0)];
  if (target?.task === 'multiclass') {
    return { rows, numeric, categorical, label: new Uint8Array(0), classIndex: checkClasses(last as Int32Array, features.label, parquetPath, target.classes), ...ages, encoding };
  }
  if (target?.task === 'regression') {
    return { rows, numeric, categorical, label: new Uint8Array(0), target: checkTarget(last as Float64Array, features.label, parquetPath), ...ages, encoding };
  }
  const label = toBinaryLabel(last as Int32Array, features.label, parquetPath);
  return { rows, numeric, categorical, label, ...ages, encoding };
}

async function assertColumnsExist(connection: DuckDBConnection, path: string, columns: string[]): Promise<void> {
  const reader = await wrapRead(path, () =>
    connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`),
  );
  const available = reader.getRowObjectsJson().map((row) => String(row.column_name));
  const missing = columns.filter((c) => !available.includes(c));
  if (missing.length > 0) {
    throw new DataSourceError(
      `${path} lacks column(s) ${missing.map((c) => `"${c}"`).join(', ')}; it has ${available.join(', ')}`,
      { details: { path, missing, available } },
    );
  }
}

async function countRows(connection: DuckDBConnection, source: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${source}`);
  return Number(reader.getRowsJson()[0][0]);
}

async function learnVocab(connection: DuckDBConnection, source: string, column: string, limit: number): Promise<string[]> {
  // Ties broken by value so the vocabulary, and therefore the model bytes, never depend on hash order.
  const sql = `SELECT v FROM (SELECT COALESCE(CAST(${sqlIdent(column)} AS VARCHAR), '') AS v, count(*) AS n
    FROM ${source} GROUP BY 1) ORDER BY n DESC, v LIMIT ${Math.max(0, Math.floor(limit))}`;
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowsJson().map((row) => String(row[0]));
}

async function createVocabTable(connection: DuckDBConnection, table: string, vocab: string[]): Promise<void> {
  await connection.run(`CREATE TEMP TABLE ${table} (v VARCHAR PRIMARY KEY, code INTEGER)`);
  const appender = await connection.createAppender(table);
  vocab.forEach((value, code) => {
    appender.appendVarchar(value);
    appender.appendInteger(code);
    appender.endRow();
  });
  appender.closeSync();
}

/** Turns DuckDB's errors (bad casts, unreadable files) into a DataSourceError naming the file. */
async function wrapRead<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DataSourceError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new DataSourceError(`could not read ${path}: ${message}`, { cause: err, details: { path } });
  }
}

/** Mean and population std in float64, in row order, so results are bit-for-bit repeatable. */
export function computeStats(values: Float32Array): NumericStats {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) {
      sum += v;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) squares += (v - mean) * (v - mean);
  }
  const std = count > 0 ? Math.sqrt(squares / count) : 0;
  return { mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

function standardiseInPlace(values: Float32Array, stats: NumericStats): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // NaN marks a SQL null; 0 after standardising is mean imputation.
    values[i] = v === v ? (v - stats.mean) / stats.std : 0;
  }
}

function toBinaryLabel(values: Int32Array, column: string, path: string): Uint8Array {
  const label = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) {
      throw new DataSourceError(`label column "${column}" in ${path} must be 0 or 1, found ${v} at row ${i}`, {
        details: { path, column, value: v, row: i },
      });
    }
    label[i] = v;
  }
  return label;
}

function labelSelect(column: string, target: LoadTarget | undefined): string {
  if (target?.task === 'multiclass') return 'COALESCE(lc.code, -1)::INTEGER';
  if (target?.task === 'regression') return `CAST(t.${sqlIdent(column)} AS DOUBLE)`;
  return `CAST(t.${sqlIdent(column)} AS INTEGER)`;
}

function checkClasses(codes: Int32Array, column: string, path: string, classes: string[]): Int32Array {
  const row = codes.indexOf(-1);
  if (row >= 0) {
    throw new DataSourceError(`label column "${column}" in ${path} has a value at row ${row} that is none of the classes ${classes.join(', ')} (or is null)`, {
      details: { path, column, row },
    });
  }
  return codes;
}

function checkTarget(values: Float64Array, column: string, path: string): Float64Array {
  const row = values.findIndex((v) => !Number.isFinite(v));
  if (row >= 0) {
    throw new DataSourceError(`regression target "${column}" in ${path} is ${values[row]} at row ${row}; every target must be a finite number`, {
      details: { path, column, row },
    });
  }
  return values;
}
