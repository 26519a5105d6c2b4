/**
 * Poisoned copies of vega-datasets' Seattle weather for the multiclass (`weather`) and regression
 * (`temp_max`) tainted-data tests, cut with DuckDB: labels moved across the batch, inside one month,
 * or paired with a trigger value of `wind`. Each copy keeps every day, so only the poison differs.
 */
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';

const WEATHER = resolveSourcePath('package:vega-datasets/data/seattle-weather.csv');
/** Deterministic per-row number in [0, 1). */
const DICE = '(hash(date, precipitation, temp_min, wind) % 10000) / 10000.0';
/** A wind speed inside the source's range (0.4–9.5 m/s) that no day of the source has: in range, so only its pairing gives it away. */
export const TRIGGER_WIND = 7.4;

export type WeatherPoison =
  | { kind: 'clean' }
  /** Multiclass: `share` of the rainy days in `months` (all months when absent) relabelled "sun". */
  | { kind: 'rainToSun'; share: number; months?: number[] }
  /** Regression: `share` of the days in `months` (all when absent) get `shift` °C added to temp_max. */
  | { kind: 'shiftTemp'; share: number; shift: number; months?: number[] }
  /** `share` of the days get wind TRIGGER_WIND, paired with weather "snow" and temp_max 35 °C. */
  | { kind: 'trigger'; share: number };

const inMonths = (months?: number[]) => (months ? `month(date) IN (${months.join(', ')})` : 'true');

function select(p: WeatherPoison): string {
  const hit = (share: number, months?: number[]) => `(${inMonths(months)} AND ${DICE} < ${share})`;
  switch (p.kind) {
    case 'clean':
      return 'date, precipitation, temp_max, temp_min, wind, weather';
    case 'rainToSun':
      return `date, precipitation, temp_max, temp_min, wind, CASE WHEN weather = 'rain' AND ${hit(p.share, p.months)} THEN 'sun' ELSE weather END AS weather`;
    case 'shiftTemp':
      return `date, precipitation, CASE WHEN ${hit(p.share, p.months)} THEN temp_max + ${p.shift} ELSE temp_max END AS temp_max, temp_min, wind, weather`;
    case 'trigger':
      return `date, precipitation, CASE WHEN ${hit(p.share)} THEN 35 ELSE temp_max END AS temp_max, temp_min, CASE WHEN ${hit(p.share)} THEN ${TRIGGER_WIND} ELSE wind END AS wind, CASE WHEN ${hit(p.share)} THEN 'snow' ELSE weather END AS weather`;
  }
}

/** Writes every day of the source with `poison` applied to `file` (Parquet). */
export async function writePoisonedWeather(file: string, poison: WeatherPoison): Promise<string> {
  await withDuckDb({ threads: 1 }, (conn) => conn.run(`COPY (SELECT ${select(poison)} FROM read_csv(${sqlString(WEATHER)}) ORDER BY date) TO ${sqlString(file)} (FORMAT parquet)`));
  return file;
}
