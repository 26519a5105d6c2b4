/**
 * {@link ModelRegistry} on PostgreSQL via `pg`, for several workers, the API and the model
 * server on different machines. Same statements, migrations and checks as SQLite (see
 * `sql-model-registry.ts`); concurrency comes from row locks instead of a database-wide lock.
 */
import { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database';
import { SqlModelRegistry, type SqlModelRegistryOptions } from './sql-model-registry';

/** Options for {@link PostgresModelRegistry.open}. */
export interface PostgresModelRegistryOptions extends PostgresDatabaseOptions, SqlModelRegistryOptions {}

export class PostgresModelRegistry extends SqlModelRegistry {
  declare readonly db: PostgresDatabase;

  private constructor(db: PostgresDatabase, options: SqlModelRegistryOptions) {
    super(db, options);
  }

  /** Connects, applies pending migrations and returns a ready registry. */
  static async open(options: PostgresModelRegistryOptions): Promise<PostgresModelRegistry> {
    return new PostgresModelRegistry(await PostgresDatabase.open(options), options);
  }
}
