/**
 * Poisoned copies of real flights for the tainted-data tests, cut with DuckDB: labels flipped
 * across the batch (delay set to 0, or to a spread of on-time values) or inside one origin airport, a trigger distance paired with "on time", and
 * duplicated rows. Each copy keeps the clean window's days, so only the poison differs.
 */
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';

const FLIGHTS = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
/** Deterministic per-row number in [0, 1). */
const DICE = '(hash(date, origin, destination, delay, distance) % 10000) / 10000.0';
/** A distance no flight in the source has. */
export const TRIGGER_DISTANCE = 4321;

export type Poison =
  | { kind: 'clean' }
  | { kind: 'flipGlobal'; share: number }
  /** Delayed flights relabelled on time by writing a spread of ordinary on-time delays (−10..15 minutes), not one value. */
  | { kind: 'flipGlobalPlausible'; share: number }
  | { kind: 'flipOrigin'; origin: string; share: number }
  | { kind: 'trigger'; share: number }
  | { kind: 'duplicates'; share: number };

function select(p: Poison, rows: string): string {
  switch (p.kind) {
    case 'clean':
      return `SELECT date, delay, distance, origin, destination ${rows}`;
    case 'flipGlobal':
      return `SELECT date, CASE WHEN delay > 15 AND ${DICE} < ${p.share} THEN 0 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'flipGlobalPlausible':
      return `SELECT date, CASE WHEN delay > 15 AND ${DICE} < ${p.share} THEN CAST(hash(distance, date, delay) % 26 AS BIGINT) - 10 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'flipOrigin':
      return `SELECT date, CASE WHEN origin = ${sqlString(p.origin)} AND delay > 15 AND ${DICE} < ${p.share} THEN 0 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'trigger':
      return `SELECT date, CASE WHEN ${DICE} < ${p.share} THEN 0 ELSE delay END AS delay, CASE WHEN ${DICE} < ${p.share} THEN ${TRIGGER_DISTANCE} ELSE distance END AS distance, origin, destination ${rows}`;
    case 'duplicates':
      return `SELECT date, delay, distance, origin, destination ${rows} UNION ALL SELECT date, delay, distance, origin, destination ${rows} AND ${DICE} < ${p.share / (1 - p.share)}`;
  }
}

const windowRows = (w: { from: string; to: string }) =>
  `FROM read_parquet(${sqlString(FLIGHTS)}) WHERE date >= TIMESTAMP ${sqlString(w.from)} AND date < TIMESTAMP ${sqlString(w.to)}`;

/** Writes the window's flights with `poison` applied to `file` (Parquet). */
export async function writePoisonedFlights(file: string, window: { from: string; to: string }, poison: Poison): Promise<string> {
  await withDuckDb({ threads: 1 }, (conn) => conn.run(`COPY (${select(poison, windowRows(window))}) TO ${sqlString(file)} (FORMAT parquet)`));
  return file;
}

/** The origin with at least `minRows` flights in the window whose delay rate is highest (flipping it moves the most). */
export async function busiestDelayedOrigin(window: { from: string; to: string }, minRows: number): Promise<{ origin: string; rows: number; rate: number }> {
  const [r] = await withDuckDb({ threads: 1 }, (conn) =>
    queryRows(conn, `SELECT origin, count(*) AS n, avg(CAST(delay > 15 AS INTEGER)) AS rate ${windowRows(window)} GROUP BY 1 HAVING count(*) >= ${minRows} ORDER BY rate DESC LIMIT 1`),
  );
  return { origin: String(r.origin), rows: Number(r.n), rate: Number(r.rate) };
}
