/** source.select checks, on DuckDB's real parser. */
import { describe, expect, it } from 'vitest';
import { withDuckDb } from './duckdb';
import { checkSourceSelect } from './source-select';

const check = (sql: string) => withDuckDb({}, (conn) => checkSourceSelect(conn, sql));

describe('source.select', () => {
  it.each([
    'SELECT * FROM source',
    'select "Beak Length (mm)" AS beak_length, Species FROM source WHERE Sex IS NOT NULL;',
    'WITH s AS (SELECT * FROM source WHERE x > 1) SELECT a.* FROM s a JOIN source b USING (id) -- trailing comment',
    'SELECT * FROM source UNION ALL SELECT * FROM source ORDER BY 1 LIMIT 10',
    'SELECT *, CASE WHEN y IN (SELECT y FROM source WHERE z) THEN 1 END AS w FROM source',
    'FROM source SELECT a',
  ])('accepts %s and returns DuckDB\'s rendering of it', async (sql) => {
    const r = await check(sql);
    expect(r).toHaveProperty('sql');
    expect((r as { sql: string }).sql).not.toMatch(/--|;/);
  });

  it.each([
    ['DDL', 'CREATE TABLE t AS SELECT * FROM source', /only a read-only SELECT is allowed, not a CREATE statement/],
    ['DML', 'DELETE FROM source', /not a DELETE statement/],
    ['PRAGMA', 'PRAGMA version', /not a PRAGMA statement/],
    ['ATTACH', "ATTACH '/tmp/x.db' AS x", /not an ATTACH statement/],
    ['COPY', "COPY source TO '/tmp/out.csv'", /not a COPY statement/],
    ['SET', "SET enable_external_access = true", /not a SET statement/],
    ['two statements', 'SELECT * FROM source; SELECT 1', /expected a single SELECT statement, found 2 statements/],
    ['a syntax error', 'SELEC * FROM source', /not valid SQL: syntax error at or near "SELEC"/],
    ['read_csv', "SELECT * FROM read_csv('/etc/passwd')", /calls the table function read_csv\(\)/],
    ['read_parquet in a subquery', "SELECT * FROM source WHERE id IN (SELECT id FROM read_parquet('x.parquet'))", /calls the table function read_parquet\(\)/],
    ['glob', "SELECT * FROM glob('/*')", /calls the table function glob\(\)/],
    ['a file named as a string', "SELECT * FROM source JOIN '/etc/hosts.csv' USING (id)", /reads "\/etc\/hosts\.csv"; a select may read only the relation "source"/],
    ['another table', 'SELECT * FROM other', /reads "other"/],
    ['a qualified name', 'SELECT * FROM information_schema.tables', /reads "information_schema\.tables"; a select may read only "source", unqualified/],
    ['random()', 'SELECT *, random() AS r FROM source', /calls random\(\), which is not allowed: random values/],
    ['now()', 'SELECT * FROM source WHERE t < now()', /calls now\(\), which is not allowed: the clock/],
    ['current_setting()', "SELECT current_setting('home_directory') AS h FROM source", /calls current_setting\(\).*settings/],
    ['DESCRIBE in FROM', 'SELECT * FROM (DESCRIBE source)', /is not allowed in FROM/],
  ])('refuses %s, naming what is wrong', async (_what, sql, message) => {
    const r = await check(sql);
    expect(r).toHaveProperty('problems');
    expect((r as { problems: string[] }).problems.join('\n')).toMatch(message);
    expect((r as { problems: string[] }).problems.every((p) => p.startsWith('source.select: '))).toBe(true);
  });
});
