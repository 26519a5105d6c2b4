/**
 * Chooses the governance database from config: PostgreSQL when `registryUrl`
 * (SLIPWAY_REGISTRY_URL) is set, otherwise the SQLite file at `registryPath`. Every process
 * (worker, API, model server, CLI) opens it through here, so they always agree.
 */
import type { Config } from '../config';
import { PostgresDatabase } from './postgres-database';
import type { SqlDatabase } from './sql-database';
import { SqliteDatabase } from './sqlite-database';

export type DatabaseConfig = Pick<Config, 'registryPath' | 'registryUrl'>;

/** Where the tables live. */
export interface DatabaseOptions {
  /** PostgreSQL only: schema holding the tables. @default the server's search_path */
  schema?: string;
}

/** Opens (creating and migrating if needed) the configured database. */
export async function openDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Promise<SqlDatabase> {
  if (config.registryUrl) return PostgresDatabase.open({ connectionString: config.registryUrl, schema: options.schema });
  return new SqliteDatabase({ path: config.registryPath });
}
