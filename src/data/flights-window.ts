/**
 * Windows of the real flights data (vega-datasets) in the shape the ingest step writes, for the
 * traffic replay, the simulation, benchmarks and tests
 * (hour, weekday, month, distance, origin, destination, label, event_time).
 */
import { sqlString, withDuckDb } from './duckdb';
import { resolveSourcePath } from './source-path';
import type { FeatureSpec } from '../training/feature-spec';

export const FLIGHTS_FEATURES: FeatureSpec = {
  numeric: ['hour', 'weekday', 'month', 'distance'],
  categorical: ['origin', 'destination'],
  label: 'label',
};

/**
 * Writes flights with `from <= date < to` (ISO dates) to `path` as Parquet and returns the row count.
 * @param source a flights file of the same columns (e.g. a simulation scenario's). @default the vega-datasets file
 */
export async function writeFlightsWindow(path: string, from: string, to: string, source = flightsParquetPath()): Promise<number> {
  return withDuckDb({}, async (connection) => {
    await connection.run(`COPY (
      SELECT hour(date)::INTEGER AS hour, dayofweek(date)::INTEGER AS weekday, month(date)::INTEGER AS month,
             distance::DOUBLE AS distance, origin, destination, (delay > 15)::INTEGER AS label, date AS event_time
      FROM read_parquet(${sqlString(source)})
      WHERE date >= ${sqlString(from)} AND date < ${sqlString(to)}
    ) TO ${sqlString(path)} (FORMAT parquet)`);
    const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet(${sqlString(path)})`);
    return Number(reader.getRowsJson()[0][0]);
  });
}

/** The 3-million-row flights file shipped in the vega-datasets package (a dev dependency; the image carries the file). */
export function flightsParquetPath(): string {
  return resolveSourcePath(FLIGHTS_SOURCE);
}

/** How pipelines name the flights file. */
export const FLIGHTS_SOURCE = 'package:vega-datasets/data/flights-3m.parquet';

/** Writes literal rows to `path` as Parquet via a DuckDB `SELECT` (e.g. `SELECT * FROM (VALUES ...) t(a, b)`). */
export async function writeParquet(path: string, select: string): Promise<void> {
  await withDuckDb({}, (connection) => connection.run(`COPY (${select}) TO ${sqlString(path)} (FORMAT parquet)`).then(() => undefined));
}
