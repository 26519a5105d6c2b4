/**
 * `source.select`: a DuckDB SELECT over the declared source, exposed to it as the relation
 * `source`. DuckDB parses it (`json_serialize_sql`, parse only: nothing runs) and the parse tree is
 * walked: one SELECT (set operations, CTEs, subqueries and joins of `source` with itself allowed),
 * no table function (read_csv, read_parquet, glob, query...), no other relation (a table, a view,
 * a schema-qualified name, a file named as a string), no function that reads the environment or
 * gives a different answer each run (random, now, current_setting...), since a snapshot must be
 * reproducible from its cache key. What runs is DuckDB's own rendering of the checked tree
 * (`json_deserialize_sql`), never the text as written.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataSourceError } from '../errors';
import { queryRows, sqlIdent, sqlString } from './duckdb';

/** The relation the SELECT reads: the files of `source.path`. */
export const SOURCE_RELATION = 'source';

/** Scalar functions refused, with why: they read settings or the environment, or are not deterministic. */
const REFUSED_FUNCTIONS: Record<string, string> = Object.fromEntries([
  ...['random', 'setseed', 'uuid', 'gen_random_uuid', 'uuidv4', 'uuidv7'].map((f) => [f, 'random values would make the snapshot differ on every run']),
  ...['now', 'current_timestamp', 'get_current_timestamp', 'current_date', 'current_time', 'get_current_time', 'today', 'transaction_timestamp', 'localtimestamp', 'localtime'].map(
    (f) => [f, 'the clock would make the snapshot differ on every run; filter on the data\'s own time column, or use window'],
  ),
  ...['current_setting', 'getvariable', 'getenv', 'current_query', 'nextval', 'currval', 'txid_current'].map((f) => [f, 'it reads the engine\'s settings or state, not the source']),
]);

/** Table references a SELECT over `source` may contain. */
const ALLOWED_REFS = new Set(['BASE_TABLE', 'SUBQUERY', 'JOIN', 'EXPRESSION_LIST', 'EMPTY', 'PIVOT']);

/**
 * Checks `sql` and returns the SQL to run (a subquery over the relation `source`), or the problems,
 * each as `<field>: <what is wrong>`.
 */
export async function checkSourceSelect(conn: DuckDBConnection, sql: string, field = 'source.select'): Promise<{ sql: string } | { problems: string[] }> {
  let count: number;
  try {
    count = (await conn.extractStatements(sql)).count;
  } catch (err) {
    return { problems: [`${field}: not valid SQL: ${firstLine(err)}`] };
  }
  if (count !== 1) return { problems: [`${field}: expected a single SELECT statement, found ${count} statements`] };
  const [row] = await queryRows(conn, `SELECT json_serialize_sql(${sqlString(sql)}) AS tree`);
  const tree = JSON.parse(String(row.tree)) as { error: boolean; error_message?: string; statements?: unknown[] };
  if (tree.error) {
    if (/Only SELECT/i.test(tree.error_message ?? '')) {
      return { problems: [`${field}: only a read-only SELECT is allowed, not ${leadingKeyword(sql)} (no DDL, DML, PRAGMA, ATTACH, COPY, SET or other statements)`] };
    }
    return { problems: [`${field}: not valid SQL: ${tree.error_message}`] };
  }
  const problems = treeProblems(tree.statements?.[0], field);
  if (problems.length > 0) return { problems };
  const [rendered] = await queryRows(conn, `SELECT json_deserialize_sql(json_serialize_sql(${sqlString(sql)})) AS sql`);
  return { sql: String(rendered.sql) };
}

/**
 * The relation a step reads: `files` (a reader such as `read_parquet(...)`) itself, or `select`
 * over it. The select is checked again here (an activity does not trust its caller) and what runs is
 * DuckDB's rendering of the checked tree, over a temporary view named `source` on `conn`.
 * @throws DataSourceError naming each problem of a refused select.
 */
export async function sourceRelation(conn: DuckDBConnection, select: string | undefined, files: string): Promise<string> {
  if (select === undefined) return files;
  const checked = await checkSourceSelect(conn, select);
  if ('problems' in checked) throw new DataSourceError(checked.problems.join('; '), { details: { problems: checked.problems } });
  await conn.run(`CREATE TEMP VIEW ${sqlIdent(SOURCE_RELATION)} AS SELECT * FROM ${files}`);
  return `(${checked.sql})`;
}

/** Every problem in a parsed statement: walks each node, whatever clause it sits in. */
function treeProblems(statement: unknown, field: string): string[] {
  const problems = new Set<string>();
  const ctes = new Set<string>();
  const relations: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    const cteMap = (n.cte_map as { map?: Array<{ key: string }> } | undefined)?.map;
    cteMap?.forEach((c) => ctes.add(c.key.toLowerCase()));
    if (n.class === 'FUNCTION' && typeof n.function_name === 'string') functionProblem(n, field, problems);
    if (typeof n.type === 'string' && 'query_location' in n && 'sample' in n) refProblem(n, field, problems, relations);
    Object.values(n).forEach(visit);
  };
  visit(statement);
  for (const name of relations) {
    if (name.toLowerCase() !== SOURCE_RELATION && !ctes.has(name.toLowerCase())) {
      problems.add(`${field}: reads "${name}"; a select may read only the relation "${SOURCE_RELATION}" (the files of source.path), not other tables, views or files`);
    }
  }
  return [...problems];
}

/** A table reference (every one carries `sample`): only `source`, CTEs, subqueries, joins and VALUES. */
function refProblem(n: Record<string, unknown>, field: string, problems: Set<string>, relations: string[]): void {
  const type = n.type as string;
  if (type === 'TABLE_FUNCTION') {
    const fn = (n.function as { function_name?: string } | undefined)?.function_name ?? 'a table function';
    problems.add(`${field}: calls the table function ${fn}(); a select reads only the relation "${SOURCE_RELATION}": declare files in source.path instead`);
    return;
  }
  if (!ALLOWED_REFS.has(type)) {
    problems.add(`${field}: ${type.toLowerCase().replace(/_/g, ' ')} is not allowed in FROM; a select reads only the relation "${SOURCE_RELATION}"`);
    return;
  }
  if (type !== 'BASE_TABLE') return;
  const qualified = [n.catalog_name, n.schema_name].filter((s) => typeof s === 'string' && s !== '');
  const name = String(n.table_name);
  if (qualified.length > 0) problems.add(`${field}: reads "${[...qualified, name].join('.')}"; a select may read only "${SOURCE_RELATION}", unqualified`);
  else relations.push(name);
}

function functionProblem(n: Record<string, unknown>, field: string, problems: Set<string>): void {
  const name = String(n.function_name).toLowerCase();
  if ((typeof n.schema === 'string' && n.schema !== '') || (typeof n.catalog === 'string' && n.catalog !== '')) {
    problems.add(`${field}: calls ${[n.catalog, n.schema, name].filter(Boolean).join('.')}(); call built-in functions by their plain name`);
    return;
  }
  const why = REFUSED_FUNCTIONS[name];
  if (why) problems.add(`${field}: calls ${name}(), which is not allowed: ${why}`);
}

/** The statement's first keyword, for naming what was refused (`CREATE`, `ATTACH`, ...). */
function leadingKeyword(sql: string): string {
  const stripped = sql.replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/, '');
  const word = /^[A-Za-z]+/.exec(stripped)?.[0];
  if (!word) return 'this statement';
  return `${/^[AEIOU]/i.test(word) ? 'an' : 'a'} ${word.toUpperCase()} statement`;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0].replace(/^Failed to extract statements: /, '').replace(/^Parser Error: /, '');
}
