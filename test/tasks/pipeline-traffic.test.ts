/**
 * Replay traffic from a pipeline's own ingest step, on vega-datasets' Seattle weather read by real
 * DuckDB: the features as ingest derives them, the label of each task as feedback would post it
 * (0/1, a class name, the true value), checked against the raw CSV read independently.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';
import { parsePipelineSpec } from '../../src/pipeline/parse-spec';
import type { IngestParams } from '../../src/pipeline/step-params';
import { loadPipelineTraffic, repeatTraffic } from '../../tools/pipeline-traffic';

const CSV = resolveSourcePath('package:vega-datasets/data/seattle-weather.csv');

/** The shipped pipeline's parsed ingest parameters, with another label when given. */
function ingestOf(pipeline: string, label?: Record<string, unknown>): IngestParams {
  const raw = YAML.parse(readFileSync(path.join(__dirname, '..', '..', 'pipelines', `${pipeline}.yaml`), 'utf8')) as { steps: { kind: string; with: Record<string, unknown> }[] };
  const ingest = raw.steps.find((s) => s.kind === 'ingest')!;
  if (label) ingest.with.label = label;
  // The ingest step alone: another label's task would not fit the shipped gates.
  return parsePipelineSpec({ ...raw, steps: [ingest] }).steps[0].with as IngestParams;
}

/** The raw CSV's 2015 rows, in date order. */
const raw2015 = () =>
  withDuckDb({}, (c) => queryRows(c, `SELECT date::VARCHAR AS date, weather, temp_max FROM read_csv(${sqlString(CSV)}) WHERE year(date) = 2015 ORDER BY date`));

describe('loadPipelineTraffic', () => {
  it('gives a multiclass pipeline its class names and the features its ingest derives', async () => {
    const traffic = await loadPipelineTraffic({ ingest: ingestOf('seattle-weather-multiclass'), from: '2015-01-01' });
    const raw = await raw2015();
    expect(traffic.rows).toHaveLength(raw.length);
    expect(traffic.labels).toEqual(raw.map((r) => r.weather));
    expect(Object.keys(traffic.rows[0]).sort()).toEqual(['month', 'precipitation', 'temp_max', 'temp_min', 'wind']);
    expect(traffic.rows.map((r) => r.month)).toEqual(raw.map((r) => Number(String(r.date).slice(5, 7))));
  });

  it('gives a regression pipeline the true values and string features as they are', async () => {
    const traffic = await loadPipelineTraffic({ ingest: ingestOf('seattle-weather-regression'), from: '2015-01-01', limit: 50 });
    const raw = (await raw2015()).slice(0, 50);
    expect(traffic.labels).toEqual(raw.map((r) => r.temp_max));
    expect(traffic.rows.map((r) => r.weather)).toEqual(raw.map((r) => r.weather));
    expect(traffic.rows.every((r) => !('temp_max' in r))).toBe(true);
  });

  it('compiles a binary label expression as ingest does', async () => {
    const ingest = ingestOf('seattle-weather-multiclass', { name: 'label', expression: 'weather in ["rain", "drizzle"]' });
    const traffic = await loadPipelineTraffic({ ingest, from: '2015-01-01' });
    expect(traffic.labels).toEqual((await raw2015()).map((r) => (r.weather === 'rain' || r.weather === 'drizzle' ? 1 : 0)));
  });

  it('names the field and the columns when the source lacks a column', async () => {
    const ingest = ingestOf('seattle-weather-regression', { name: 'label', column: 'temp_avg', task: 'regression' });
    await expect(loadPipelineTraffic({ ingest })).rejects.toThrow(/label\.column: the source has no column "temp_avg"; its columns are date, precipitation, temp_max, temp_min, wind, weather/);
  });

  it('repeats traffic row for row', () => {
    const twice = repeatTraffic({ rows: [{ a: 1 }, { a: 2 }], labels: ['x', 'y'] }, 2);
    expect(twice).toEqual({ rows: [{ a: 1 }, { a: 2 }, { a: 1 }, { a: 2 }], labels: ['x', 'y', 'x', 'y'] });
  });
});
