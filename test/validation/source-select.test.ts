/**
 * `source.select` on real data (vega-datasets' Seattle and New York weather, 2012–2015) through the
 * real ingest and DuckDB; every kind of refused select is refused before anything is read or stored,
 * both when the spec is resolved (API, CLI, worker) and by the ingest activity itself.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSnapshot } from '../../src/activities/ingest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';
import { resolvePackageSource } from '../../src/data/source-path';
import { isSlipwayError } from '../../src/errors';
import { ingestParamsSchema } from '../../src/pipeline/step-params';
import { resolvePipelineInput } from '../../src/pipeline/resolve-pipeline-input';

const WEATHER = 'package:vega-datasets/data/weather.csv';
const weatherParams = (select?: string, more: Record<string, unknown> = {}) => ({
  source: { path: WEATHER, ...(select === undefined ? {} : { select }) },
  timeColumn: 'date',
  features: [
    { name: 'temp_max', column: 'temp_max', transform: 'double' },
    { name: 'wind', column: 'wind', transform: 'double' },
  ],
  label: { name: 'rained', column: 'precipitation', op: 'gt', value: 0 },
  ...more,
});

/** Every kind of select that is refused, with the words the refusal must contain. */
const REFUSED: Array<[string, string, RegExp]> = [
  ['DDL', 'CREATE TABLE t AS SELECT * FROM source', /only a read-only SELECT is allowed, not a CREATE statement/],
  ['DML', "UPDATE source SET weather = 'sun'", /not an UPDATE statement/],
  ['PRAGMA', 'PRAGMA database_list', /not a PRAGMA statement/],
  ['ATTACH', "ATTACH '/tmp/other.db' AS other", /not an ATTACH statement/],
  ['COPY', "COPY (SELECT * FROM source) TO '/tmp/stolen.csv'", /not a COPY statement/],
  ['SET', 'SET enable_external_access = true', /not a SET statement/],
  ['two statements', 'SELECT * FROM source; DROP TABLE source', /a single SELECT statement, found 2 statements/],
  ['a file function', "SELECT * FROM read_csv('/etc/passwd')", /calls the table function read_csv\(\)/],
  ['a glob', "SELECT * FROM source WHERE location IN (SELECT file FROM glob('/etc/*'))", /calls the table function glob\(\)/],
  ['a file named as a table', "SELECT * FROM '/etc/hosts'", /reads "\/etc\/hosts"; a select may read only the relation "source"/],
  ['another table', 'SELECT * FROM source JOIN duckdb_settings USING (date)', /reads "duckdb_settings"/],
  ['a qualified name', 'SELECT * FROM main.source', /reads "main\.source"; .* unqualified/],
  ['a non-deterministic function', 'SELECT * FROM source WHERE random() < 0.5', /calls random\(\), which is not allowed/],
  ['bad SQL', 'SELECT * FROM source WHER wind > 1', /not valid SQL: syntax error at or near "wind"/],
];

describe('source.select', () => {
  let dir: string;
  let store: LocalArtifactStore;
  let weatherFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-select-'));
    store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
    weatherFile = resolvePackageSource(WEATHER)!.file;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const ingest = (params: Record<string, unknown>) =>
    ingestSnapshot({ store, duckdbThreads: 1, dataRoots: { roots: [dir], ...SOURCE_LIMIT_DEFAULTS } }, ingestParamsSchema.parse(params), 'ingest');
  const stored = async () => (await readdir(path.join(dir, 'artifacts'), { recursive: true }).catch(() => [])).length;
  const truth = (sql: string) => withDuckDb({}, (conn) => queryRows(conn, sql.replaceAll('SOURCE', `read_csv(${sqlString(weatherFile)})`)));

  it('ingests only the rows and columns the select keeps', async () => {
    const out = await ingest(weatherParams("SELECT date, temp_max, wind, precipitation FROM source WHERE location = 'Seattle'"));
    const [expected] = await truth("SELECT count(*) AS n, avg(CAST(precipitation > 0 AS INTEGER)) AS rate FROM SOURCE WHERE location = 'Seattle'");
    expect(expected.n).toBe(1461);
    expect(Number(out.summary.trainRows) + Number(out.summary.holdoutRows)).toBe(1461);
    expect(out.summary.select).toBe("SELECT date, temp_max, wind, precipitation FROM source WHERE location = 'Seattle'");
    expect(out.artifacts.train.meta?.source).toMatchObject({ select: expect.stringContaining('Seattle'), columns: [{ name: 'date' }, { name: 'temp_max' }, { name: 'wind' }, { name: 'precipitation' }] });
    const rate = (Number(out.summary.trainRows) * Number(out.summary.trainPositiveRate) + Number(out.summary.holdoutRows) * Number(out.summary.holdoutPositiveRate)) / 1461;
    expect(rate).toBeCloseTo(Number(expected.rate), 10);
  });

  it('derives features with SQL: renamed columns and a 7-day rolling mean per city', async () => {
    const select = `SELECT date AS day, location, "temp_max" AS tmax, wind, precipitation,
      avg(temp_max) OVER (PARTITION BY location ORDER BY date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS tmax_7d
      FROM source`;
    const out = await ingest(
      weatherParams(select, {
        timeColumn: 'day',
        features: [
          { name: 'tmax', column: 'tmax', transform: 'double' },
          { name: 'tmax_7d', column: 'tmax_7d', transform: 'double' },
          { name: 'location', column: 'location' },
        ],
      }),
    );
    expect(Number(out.summary.trainRows) + Number(out.summary.holdoutRows)).toBe(2922);
      const trainFile = await store.localPath(out.artifacts.train);
    const [rolled] = await withDuckDb({}, async (conn) =>
      queryRows(conn, `SELECT max(abs(tmax_7d - tmax)) AS gap, count(*) FILTER (WHERE tmax_7d IS NULL) AS nulls FROM read_parquet(${sqlString(trainFile)})`),
    );
    // A rolling mean differs from the day's value (the mean of a week is smoother) and exists for every row.
    expect(Number(rolled.gap)).toBeGreaterThan(1);
    expect(rolled.nulls).toBe(0);
  });

  it("names the select when a column the spec reads is not in the select's result", async () => {
    const err = await ingest(weatherParams('SELECT date, temp_max, precipitation FROM source')).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.message).toMatch(/^source\.select: the result of source\.select over ".*weather\.csv" has no column features\[1\]\.column "wind"; its columns are date, temp_max, precipitation/);
  });

  it('names the select when DuckDB cannot bind it (a column the source lacks)', async () => {
    const err = await ingest(weatherParams('SELECT date, temp_max, wind, precipitation, humidity FROM source')).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.message).toMatch(/^source\.select: DuckDB cannot run it over ".*weather\.csv": Binder Error: Referenced column "humidity" not found/);
  });

  describe.each(REFUSED)('refuses %s', (_what, select, message) => {
    it('when the spec is resolved, naming the field, before anything runs', async () => {
      const spec = { name: 'rain', model: 'rain', steps: [{ id: 'ingest', kind: 'ingest', with: weatherParams(select) }] };
      const err = await resolvePipelineInput({ pipelinesDir: dir }, { spec }).catch((e: unknown) => e);
      expect(isSlipwayError(err) && err.name).toBe('InvalidPipelineInput');
      expect((err as { problems: string[] }).problems.join('\n')).toMatch(new RegExp(`^input\\.spec\\.steps\\[0\\]\\.with\\.source\\.select: .*${message.source}`, 'm'));
    });

    it('in the ingest activity itself, storing nothing', async () => {
      const before = await stored();
      const err = await ingest(weatherParams(select)).catch((e: unknown) => e);
      expect(isSlipwayError(err) && err.name).toBe('DataSourceError');
      expect((err as Error).message).toMatch(message);
      expect(await stored()).toBe(before);
    });
  });
});
