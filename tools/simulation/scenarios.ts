/**
 * Simulation scenarios: what the world does to the flights the simulation feeds its trainings,
 * its weekly scoring and its live traffic. Each scenario but `calm` writes one altered copy of
 * the flights file (same columns) under a data root, and every part of the simulation reads that
 * copy, so the retrains, the champion, the frozen model and the hindsight model all see the same
 * world. See docs/continuous-training.md ("Scenarios").
 *
 * - `calm`: the data as it is.
 * - `concept-drift`: from `driftFrom` on, departures from `hub` are delayed `driftMinutes` more, so
 *   the relation between the features (origin) and the label changes for one hub's flights.
 * - `tainted-week`: in the week from `taintFrom`, `taintFraction` of the delayed flights are
 *   relabelled on time (delay 0): a poisoned batch arriving mid-way.
 * - `traffic-drop`: the data as it is, but every retrain is canaried at a very low request rate.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { flightsParquetPath } from '../../src/data/flights-window';

export const SCENARIO_NAMES = ['calm', 'concept-drift', 'tainted-week', 'traffic-drop'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** A scenario with its parameters. */
export type Scenario =
  | { name: 'calm' }
  | { name: 'concept-drift'; driftFrom: string; hub: string; driftMinutes: number }
  | { name: 'tainted-week'; taintFrom: string; taintFraction: number }
  | { name: 'traffic-drop'; rate: number };

/** Parameters a command line may set; the rest take the defaults of {@link scenarioFor}. */
export interface ScenarioOptions {
  /** First simulated week (a Monday): defaults are placed relative to it. */
  start: string;
  /** The week (1-based) from which the drift or the taint applies. @default 3 */
  week?: number;
  /** @default 'ORD' (the busiest origin in March–April 2001: 56,094 departures, 24.3% delayed) */
  hub?: string;
  /** @default 45 */
  driftMinutes?: number;
  /** @default 0.3 */
  taintFraction?: number;
  /** Canary traffic in requests per second. @default 20 */
  rate?: number;
}

const DAY_MS = 86_400_000;
export const addDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** The scenario `name` with defaults placed from `o.start`; throws naming the bad value. */
export function scenarioFor(name: string, o: ScenarioOptions): Scenario {
  const week = o.week ?? 3;
  if (!Number.isInteger(week) || week < 1) throw new RangeError(`--scenario-week: ${week} is not a week number (1, 2, …)`);
  const from = addDays(o.start, 7 * (week - 1));
  switch (name) {
    case 'calm':
      return { name };
    case 'concept-drift': {
      const hub = o.hub ?? 'ORD';
      if (!/^[A-Z0-9]{3,4}$/.test(hub)) throw new RangeError(`--hub: "${hub}" is not an airport code (3–4 capitals or digits)`);
      const driftMinutes = o.driftMinutes ?? 45;
      if (!Number.isFinite(driftMinutes) || driftMinutes === 0) throw new RangeError(`--drift-minutes: ${driftMinutes} must be a non-zero number of minutes`);
      return { name, driftFrom: from, hub, driftMinutes };
    }
    case 'tainted-week': {
      const taintFraction = o.taintFraction ?? 0.3;
      if (!(taintFraction > 0 && taintFraction <= 1)) throw new RangeError(`--taint-fraction: ${taintFraction} must be in (0, 1]`);
      return { name, taintFrom: from, taintFraction };
    }
    case 'traffic-drop': {
      const rate = o.rate ?? 20;
      if (!(rate > 0)) throw new RangeError(`--canary-rate: ${rate} must be a positive number of requests per second`);
      return { name, rate };
    }
    default:
      throw new RangeError(`--scenario: "${name}" is not one of ${SCENARIO_NAMES.join(', ')}`);
  }
}

/** One line saying what the scenario does to the data. */
export function describeScenario(s: Scenario): string {
  switch (s.name) {
    case 'calm':
      return 'calm: the flights as they are';
    case 'concept-drift':
      return `concept drift: from ${s.driftFrom} every departure from ${s.hub} is ${s.driftMinutes} min later (label delay > 15 min), in training data, weekly scoring and live traffic alike`;
    case 'tainted-week':
      return `tainted week: in ${s.taintFrom} – ${addDays(s.taintFrom, 7)}, ${(s.taintFraction * 100).toFixed(0)}% of the delayed flights (chosen by a hash of the row) are relabelled on time (delay 0)`;
    case 'traffic-drop':
      return `traffic drop: the flights as they are; every retrain is canaried on ${s.rate} requests/s`;
  }
}

/** The DuckDB expression of a row's delay under the scenario (the file's own `delay` for calm and traffic-drop). */
export function scenarioDelaySql(s: Scenario): string {
  switch (s.name) {
    case 'concept-drift':
      return `CASE WHEN date >= ${sqlString(s.driftFrom)} AND origin = ${sqlString(s.hub)} THEN delay + ${Math.round(s.driftMinutes)} ELSE delay END`;
    case 'tainted-week': {
      // A hash of the row, not random(): the same flights are tainted in every read of the file.
      const pick = `hash(date, origin, destination, distance) % 1000 < ${Math.round(s.taintFraction * 1000)}`;
      return `CASE WHEN date >= ${sqlString(s.taintFrom)} AND date < ${sqlString(addDays(s.taintFrom, 7))} AND delay > 15 AND ${pick} THEN 0 ELSE delay END`;
    }
    default:
      return 'delay';
  }
}

/**
 * The flights file the scenario feeds: the shipped one for calm and traffic-drop, else an altered
 * copy written once into `dir` (which must lie inside the worker's data roots, since the ingest step reads it).
 */
export async function scenarioFlights(s: Scenario, dir: string, source = flightsParquetPath()): Promise<{ path: string; altered: number }> {
  const delay = scenarioDelaySql(s);
  if (delay === 'delay') return { path: source, altered: 0 };
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `flights-${s.name}.parquet`);
  return withDuckDb({}, async (c) => {
    await c.run(`COPY (SELECT date, (${delay})::BIGINT AS delay, distance, origin, destination FROM read_parquet(${sqlString(source)}) ORDER BY date) TO ${sqlString(file)} (FORMAT parquet)`);
    const r = await c.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet(${sqlString(source)}) WHERE (${delay}) IS DISTINCT FROM delay`);
    return { path: file, altered: Number(r.getRowsJson()[0][0]) };
  });
}
