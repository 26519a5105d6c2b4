/**
 * {@link ModelRegistry} on a SQLite file via better-sqlite3: the embedded default.
 *
 * Several workers may open the same file: WAL lets readers run beside a writer, and every
 * write is a `BEGIN IMMEDIATE` transaction, which takes the write lock before its first read,
 * so a read-check-write (next version number, alias compare-and-set) cannot interleave with
 * another process's. A writer that waits longer than `busyTimeoutMs` fails with SQLITE_BUSY,
 * a plain error that Temporal retries.
 */
import { SqlModelRegistry, type SqlModelRegistryOptions } from './sql-model-registry';
import { SqliteDatabase, type SqliteDatabaseOptions } from '../governance-db/sqlite-database';

/** Options for {@link SqliteModelRegistry}. */
export interface SqliteModelRegistryOptions extends SqliteDatabaseOptions, SqlModelRegistryOptions {}

export class SqliteModelRegistry extends SqlModelRegistry {
  declare readonly db: SqliteDatabase;

  /** Opens (creating and migrating if needed) the database file; ready when this returns. */
  constructor(options: SqliteModelRegistryOptions) {
    super(new SqliteDatabase(options), options);
  }
}
