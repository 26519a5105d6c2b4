/**
 * The little SQL the registry, access control and audit log need, over SQLite or PostgreSQL.
 * They share one database (and one transaction when a write touches several of them, such
 * as an alias move and its audit entry), so they all take a {@link SqlDatabase}.
 *
 * Statements use `?` placeholders and the portable subset described in `migrations.ts`; the
 * PostgreSQL adapter renumbers them to `$1, $2, ...`.
 */

export type SqlDialect = 'sqlite' | 'postgres';

/** A bound parameter. JSON goes in as text; booleans as 0/1. */
export type SqlValue = string | number | null;

/** Runs statements, inside or outside a transaction. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /**
   * ` FOR UPDATE` on PostgreSQL, empty on SQLite. Appended to a SELECT inside
   * {@link SqlDatabase.transaction} to lock the rows read until commit; SQLite needs none
   * because its write transaction already holds the database's single write lock.
   */
  readonly forUpdate: string;
  /** All rows of a query. BIGINT columns come back as numbers on both backends. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A database connection (SQLite) or pool (PostgreSQL) with write transactions. */
export interface SqlDatabase extends SqlExecutor {
  /**
   * Runs `work` in one write transaction: committed when it resolves, rolled back when it
   * throws. On SQLite the transaction is `BEGIN IMMEDIATE` (the write lock is taken before the
   * first read); on PostgreSQL it is READ COMMITTED, and `work` takes row locks with
   * {@link SqlExecutor.forUpdate} before it reads what it will check. `work` may be run again
   * after a deadlock or serialization failure, so it must only touch the database, and only
   * through `tx` (on SQLite, calling the database itself from inside `work` would wait forever).
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs read-only `work` on one consistent snapshot (several reads that must agree, such as
   * the audit head and the entries it covers), without blocking writers in other processes.
   */
  snapshot<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Releases the connection or pool; idempotent. */
  close(): Promise<void>;
}
