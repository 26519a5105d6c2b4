/**
 * {@link SqlDatabase} on PostgreSQL via a `pg` pool, migrated when opened.
 *
 * Transactions are READ COMMITTED; callers lock what they will check with `SELECT ... FOR
 * UPDATE` (the model row, the audit head), after which every statement sees the latest
 * committed data. A transaction that fails with a deadlock or serialization error is retried.
 */
import pg from 'pg';
import { pendingMigrations, SCHEMA_MIGRATIONS_TABLE, statementFor } from './migrations';
import { RegistryError } from '../errors';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql-database';

/** Options for {@link PostgresDatabase.open}. */
export interface PostgresDatabaseOptions {
  /** e.g. `postgres://user:password@host:5432/db`. */
  connectionString: string;
  /**
   * Schema holding Slipway's tables, created if missing; lets several registries (or tests)
   * share one database. Lowercase letters, digits and `_`.
   * @default the server's search_path, normally `public`
   */
  schema?: string;
  /** @default 10 */
  poolSize?: number;
}

const INT8_OID = 20;
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects, creates the schema if needed and applies pending migrations. */
  static async open(options: PostgresDatabaseOptions): Promise<PostgresDatabase> {
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new RegistryError(`Invalid registry input: schema must match ${SCHEMA_NAME}, got ${JSON.stringify(schema)}`, {
        details: { kind: 'invalid-input', field: 'schema' },
      });
    }
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      options: schema === undefined ? undefined : `-c search_path=${schema}`,
      // BIGINT (seq numbers, COUNT) as numbers, like SQLite; our values stay far below 2^53.
      types: { getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser },
    });
    // An idle client that loses its connection is dropped by the pool; without a listener the
    // 'error' event would crash the process.
    pool.on('error', () => undefined);
    const db = new PostgresDatabase(pool);
    try {
      await db.migrate(schema);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return db;
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return query<T>(this.pool, sql, params).then((r) => r.rows);
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return query<T>(this.pool, sql, params).then((r) => r.rows[0]);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return query(this.pool, sql, params).then((r) => r.rowCount ?? 0);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(executorOn(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (attempt < MAX_ATTEMPTS && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        client.release();
      }
    }
  }

  async snapshot<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return await work(executorOn(client));
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * One transaction under an advisory lock per schema, so processes starting together on a
   * fresh database apply each migration once; PostgreSQL's DDL is transactional, so a failed
   * migration leaves nothing behind.
   */
  private async migrate(schema: string | undefined): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`slipway.migrate:${schema ?? ''}`]);
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(SCHEMA_MIGRATIONS_TABLE);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      for (const migration of pendingMigrations(new Set(rows.map((r) => r.version)))) {
        for (const sql of migration.statements) await client.query(statementFor(sql, 'postgres'));
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

function executorOn(client: pg.PoolClient): SqlExecutor {
  return {
    dialect: 'postgres',
    forUpdate: ' FOR UPDATE',
    all: <T>(sql: string, params: readonly SqlValue[] = []) => query<T>(client, sql, params).then((r) => r.rows),
    get: <T>(sql: string, params: readonly SqlValue[] = []) => query<T>(client, sql, params).then((r) => r.rows[0]),
    run: (sql: string, params: readonly SqlValue[] = []) => query(client, sql, params).then((r) => r.rowCount ?? 0),
  };
}

function query<T>(on: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
  return on.query<T & pg.QueryResultRow>(numberPlaceholders(sql), params as SqlValue[]);
}

const numbered = new Map<string, string>();

/** `?` → `$1, $2, ...`, leaving quoted text alone. Cached: statements are a fixed set. */
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out !== undefined) return out;
  let n = 0;
  let quoted = false;
  out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  numbered.set(sql, out);
  return out;
}
