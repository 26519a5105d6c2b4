import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveLabel, type LabelSpec } from '../pipeline/label-spec';
import { typeFamily } from '../validation/column-types';
import { queryRows, sqlIdent, withDuckDb } from './duckdb';
import { inferClasses, labelSql, sqlLiteral } from './label-sql';

const WEATHER = path.join(__dirname, '../../node_modules/vega-datasets/data/seattle-weather.csv');
const compile = (spec: Partial<LabelSpec>, type: string) => labelSql(resolveLabel({ name: 'label', ...spec } as LabelSpec), type);

/** The ingest step's label SQL before task types, copied verbatim: binary specs must compile to exactly this. */
function legacyLabelSql(l: { column: string; op?: 'gt' | 'gte' | 'lt' | 'lte' | 'eq'; value?: number }, type: string) {
  const LABEL_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' } as const;
  const raw = sqlIdent(l.column);
  const family = typeFamily(type);
  if (l.op !== undefined && l.value !== undefined) {
    const cmp = (x: string) => `CAST(${x} ${LABEL_OPS[l.op!]} ${l.value} AS INTEGER)`;
    return family === 'numeric' ? { sql: cmp(raw) } : { sql: cmp(`TRY_CAST(${raw} AS DOUBLE)`), raw };
  }
  if (family === 'boolean') return { sql: `CAST(${raw} AS INTEGER)` };
  const num = family === 'numeric' ? raw : `TRY_CAST(${raw} AS DOUBLE)`;
  return { sql: `CASE WHEN ${num} IN (0, 1) THEN CAST(${num} AS INTEGER) END`, raw };
}

describe('labelSql', () => {
  const legacy = [
    { column: 'delay', op: 'gt', value: 15 },
    { column: 'delay', op: 'gte', value: -2.5 },
    { column: 'delay', op: 'lt', value: 0.1 },
    { column: 'delay', op: 'lte', value: 1e21 },
    { column: 'delay', op: 'eq', value: 3 },
    { column: 'is_late' },
  ] as const;
  it.each(legacy.flatMap((l) => ['DOUBLE', 'INTEGER', 'VARCHAR', 'BOOLEAN', 'DATE'].map((t) => [l, t] as const)))(
    'compiles the binary label %j over %s exactly as before task types',
    (label, type) => {
      expect(compile(label, type)).toEqual(legacyLabelSql(label, type));
    },
  );

  it('quotes identifiers and text literals, so a quote in a value stays a value', () => {
    expect(compile({ column: 'weather', op: 'eq', value: "it's" }, 'VARCHAR').sql).toBe(`CAST("weather" = 'it''s' AS INTEGER)`);
    expect(compile({ column: 'weather', op: 'notIn', value: ["a'b", 'c'] }, 'INTEGER').sql).toBe(`CAST(CAST("weather" AS VARCHAR) NOT IN ('a''b', 'c') AS INTEGER)`);
    expect(compile({ column: 'weather', task: 'multiclass', classes: ['x', "y'"] }, 'VARCHAR')).toEqual({
      sql: `CASE WHEN "weather" IN ('x', 'y''') THEN "weather" END`,
      raw: '"weather"',
    });
  });

  it('refuses a non-finite number even if one got past the schema', () => {
    expect(() => sqlLiteral(Number.NaN)).toThrow(/not a finite number/);
    expect(() => sqlLiteral(Infinity)).toThrow(/not a finite number/);
  });

  it('evaluates every label form in DuckDB on the Seattle weather data as plain SQL would', async () => {
    await withDuckDb({ threads: 1 }, async (conn) => {
      const relation = `read_csv(${`'${WEATHER}'`})`;
      const types = Object.fromEntries((await queryRows(conn, `DESCRIBE SELECT * FROM ${relation}`)).map((r) => [r.column_name, r.column_type]));
      const cases: Array<[Partial<LabelSpec>, string]> = [
        [{ expression: 'weather == "rain"' }, `(weather = 'rain')::INTEGER`],
        [{ expression: 'weather in ["rain", "drizzle"]' }, `(weather IN ('rain', 'drizzle'))::INTEGER`],
        [{ expression: 'weather not in ["sun"]' }, `(weather <> 'sun')::INTEGER`],
        [{ expression: 'temp_max > 20' }, `(temp_max > 20)::INTEGER`],
        [{ column: 'precipitation', op: 'in', value: [0, 0.3] }, `(precipitation IN (0, 0.3))::INTEGER`],
        [{ column: 'weather', task: 'multiclass' }, `weather`],
        [{ column: 'temp_max', task: 'regression' }, `temp_max::DOUBLE`],
      ];
      for (const [spec, plain] of cases) {
        const label = resolveLabel({ name: 'label', ...spec } as LabelSpec);
        const { sql } = labelSql(label, String(types[label.column]));
        const [row] = await queryRows(conn, `SELECT count(*) FILTER (WHERE (${sql}) IS DISTINCT FROM (${plain})) AS differ, count(DISTINCT ${sql}) AS n FROM ${relation}`);
        expect(row.differ, JSON.stringify(spec)).toBe(0);
        expect(Number(row.n)).toBeGreaterThan(1);
      }
      const [rain] = await queryRows(conn, `SELECT sum(${compile({ expression: 'weather == "rain"' }, 'VARCHAR').sql}) AS n FROM ${relation}`);
      expect(rain.n).toBe(641);
      expect(await inferClasses(conn, relation, 'weather')).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
    });
  });

  it('refuses a multiclass column with one class or too many, naming the column', async () => {
    await withDuckDb({ threads: 1 }, async (conn) => {
      await expect(inferClasses(conn, `(SELECT 'a' AS c FROM range(5))`, 'c')).rejects.toThrow(/label column "c" has 1 class\(es\) \(a\); a multiclass label needs at least 2/);
      await expect(inferClasses(conn, `(SELECT i AS c FROM range(2000) t(i))`, 'c')).rejects.toThrow(/label column "c" has more than 1000 classes/);
    });
  });
});
