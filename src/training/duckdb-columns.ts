/**
 * Moving query results out of DuckDB as typed arrays, column by column. Training and
 * scoring both read millions of rows, so values are copied straight from each data
 * chunk's vectors into preallocated arrays instead of through row objects.
 */
import type { DuckDBResult } from '@duckdb/node-api';
import { DataSourceError } from '../errors';

/** How a result column is materialised in JavaScript. */
export type ColumnKind = 'float32' | 'float64' | 'int32' | 'uint8' | 'string';

/** One result column to read: its name (for error messages) and target array kind. */
export interface ColumnRead {
  name: string;
  kind: ColumnKind;
}

export type ColumnArray = Float32Array | Float64Array | Int32Array | Uint8Array | string[];

/** A run of consecutive result rows, one array per requested column. */
export interface ColumnBatch {
  rows: number;
  columns: ColumnArray[];
}

function allocate(kind: ColumnKind, rows: number): ColumnArray {
  switch (kind) {
    case 'float32':
      return new Float32Array(rows);
    case 'float64':
      return new Float64Array(rows);
    case 'int32':
      return new Int32Array(rows);
    case 'uint8':
      return new Uint8Array(rows);
    case 'string':
      return new Array<string>(rows);
  }
}

/**
 * Streams `result` in batches of at most `batchSize` rows (the last may be shorter).
 * SQL nulls become NaN in float columns and '' in string columns; in integer columns
 * they are refused, because callers map them in SQL where the meaning is known.
 */
export async function* readColumnBatches(
  result: DuckDBResult,
  reads: ColumnRead[],
  batchSize: number,
): AsyncGenerator<ColumnBatch> {
  if (result.columnCount !== reads.length) {
    throw new Error(`query returned ${result.columnCount} columns, expected ${reads.length}`);
  }
  let columns = reads.map((r) => allocate(r.kind, batchSize));
  let filled = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    let offset = 0;
    while (offset < chunk.rowCount) {
      const take = Math.min(chunk.rowCount - offset, batchSize - filled);
      for (let c = 0; c < reads.length; c++) {
        copyColumn(chunk.getColumnVector(c), reads[c], columns[c], offset, filled, take);
      }
      offset += take;
      filled += take;
      if (filled === batchSize) {
        yield { rows: filled, columns };
        columns = reads.map((r) => allocate(r.kind, batchSize));
        filled = 0;
      }
    }
  }
  if (filled > 0) {
    yield { rows: filled, columns: columns.map((col) => col.slice(0, filled) as ColumnArray) };
  }
}

/** Reads a whole result whose row count is known, as one batch. */
export async function readAllColumns(result: DuckDBResult, reads: ColumnRead[], rows: number): Promise<ColumnArray[]> {
  for await (const batch of readColumnBatches(result, reads, Math.max(rows, 1))) {
    if (batch.rows !== rows) throw new Error(`query returned ${batch.rows} rows, expected ${rows}`);
    return batch.columns;
  }
  if (rows !== 0) throw new Error(`query returned no rows, expected ${rows}`);
  return reads.map((r) => allocate(r.kind, 0));
}

interface ItemVector {
  getItem(index: number): unknown;
}

function copyColumn(vector: ItemVector, read: ColumnRead, out: ColumnArray, from: number, to: number, count: number): void {
  if (read.kind === 'string') {
    const strings = out as string[];
    for (let i = 0; i < count; i++) {
      const value = vector.getItem(from + i);
      strings[to + i] = value === null ? '' : String(value);
    }
    return;
  }
  const numbers = out as Float32Array | Float64Array | Int32Array | Uint8Array;
  if (read.kind === 'float32' || read.kind === 'float64') {
    for (let i = 0; i < count; i++) {
      const value = vector.getItem(from + i) as number | null;
      numbers[to + i] = value === null ? NaN : value;
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const value = vector.getItem(from + i) as number | null;
    if (value === null) {
      throw new DataSourceError(`column "${read.name}" has a null value where an integer is required`, {
        details: { column: read.name },
      });
    }
    numbers[to + i] = value;
  }
}
