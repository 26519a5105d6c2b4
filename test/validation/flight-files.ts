/**
 * Real data files for the validation tests, cut from the flights file with DuckDB: a clean batch
 * and tainted copies of it (flipped labels, outliers, duplicates, a new category, ...). Tainted
 * batches come from the same days as the clean one, so only the taint differs from the reference.
 */
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';

const FLIGHTS = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
/** Two days of March 2001: about 34,000 flights. */
export const DAYS = { from: '2001-03-01', to: '2001-03-03' };
/** Deterministic per-row pseudo-random number in [0, 100). */
const DICE = 'hash(date, origin, destination, delay, distance) % 100';

export type Taint = keyof typeof TAINTS;

/** The columns of each tainted batch, as SQL over the clean rows. */
const TAINTS = {
  clean: 'date, delay, distance, origin, destination',
  // 30% of rows get the opposite label: late flights become on time and the other way round.
  flippedLabels: `date, CASE WHEN ${DICE} < 30 THEN (CASE WHEN delay > 15 THEN 0 ELSE 60 END) ELSE delay END AS delay, distance, origin, destination`,
  // 5% of rows with a distance no domestic flight has.
  outliers: `date, delay, CASE WHEN ${DICE} < 5 THEN 250000 ELSE distance END AS distance, origin, destination`,
  // 60% of rows from an airport the model has never seen.
  newCategory: `date, delay, distance, CASE WHEN ${DICE} < 60 THEN 'ZZZ' ELSE origin END AS origin, destination`,
  nullColumn: 'date, delay, CAST(NULL AS BIGINT) AS distance, origin, destination',
  noLabel: 'date, distance, origin, destination',
  // One distance typed by hand: "n/a". A CSV reader sees a text column.
  textInNumber: `date, delay, CASE WHEN ${DICE} = 7 AND hash(date) % 50 = 0 THEN 'n/a' ELSE CAST(distance AS VARCHAR) END AS distance, origin, destination`,
} as const;

/** Writes two days of flights with `taint` applied; `duplicates` repeats that share of rows a second time. */
export async function writeFlights(file: string, taint: Taint = 'clean', options: { duplicates?: number; window?: { from: string; to: string } } = {}): Promise<string> {
  const w = options.window ?? DAYS;
  const rows = `SELECT ${TAINTS[taint]} FROM read_parquet(${sqlString(FLIGHTS)}) WHERE date >= TIMESTAMP ${sqlString(w.from)} AND date < TIMESTAMP ${sqlString(w.to)}`;
  const dup = options.duplicates ? ` UNION ALL (${rows} AND ${DICE} < ${Math.round((options.duplicates / (1 - options.duplicates)) * 100)})` : '';
  const format = file.endsWith('.csv') ? '(FORMAT csv, HEADER true)' : file.endsWith('.ndjson') ? '(FORMAT json)' : '(FORMAT parquet)';
  await withDuckDb({ threads: 1 }, (conn) => conn.run(`COPY (${rows}${dup}) TO ${sqlString(file)} ${format}`));
  return file;
}

/** A Parquet file cut off half-way, as a crashed writer or an interrupted copy leaves it. */
export async function writeTruncatedParquet(dir: string): Promise<string> {
  const file = await writeFlights(path.join(dir, 'truncated.parquet'));
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(file));
  await truncate(file, Math.floor(size / 2));
  return file;
}

export async function writeEmptyFile(file: string): Promise<string> {
  await writeFile(file, '');
  return file;
}

/** The ingest parameters of the tests: flight-delay's features over a local file. */
export function ingestParams(file: string, window: { from?: string; to?: string } = DAYS) {
  return {
    source: { path: file },
    timeColumn: 'date',
    window,
    features: [
      { name: 'hour', column: 'date', transform: 'hour' },
      { name: 'weekday', column: 'date', transform: 'weekday' },
      { name: 'distance', column: 'distance', transform: 'double' },
      { name: 'origin', column: 'origin' },
      { name: 'destination', column: 'destination' },
    ],
    label: { name: 'label', column: 'delay', op: 'gt', value: 15 },
    split: { strategy: 'time', holdoutFraction: 0.2 },
  };
}

/** The validation tests' pipeline: ingest with `ingest`, validate (at least 1,000 rows), train, evaluate, register, promote. */
export function flightsPipelineSpec(name: string, model: string, ingest: Record<string, unknown>) {
  return {
    name,
    model,
    maxParallel: 1,
    steps: [
      { id: 'ingest', kind: 'ingest', with: ingest },
      { id: 'validate', kind: 'validate', dependsOn: ['ingest'], with: { minRows: 1000 } },
      {
        id: 'train',
        kind: 'train',
        dependsOn: ['validate'],
        with: { trainer: 'builtin', features: { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'] }, params: { epochs: 2, seed: 7 } },
      },
      { id: 'evaluate', kind: 'evaluate', dependsOn: ['train'], with: { primaryMetric: 'auc', firstRun: 'pass' } },
      { id: 'register', kind: 'register', dependsOn: ['evaluate'] },
      { id: 'promote', kind: 'promote', dependsOn: ['register'] },
    ],
  };
}
