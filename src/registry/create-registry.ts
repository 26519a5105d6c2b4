/**
 * Chooses the registry's database from config: PostgreSQL when `registryUrl`
 * (SLIPWAY_REGISTRY_URL) is set, otherwise the SQLite file at `registryPath`. The worker,
 * the API and the model server all open it through here, so they always agree.
 */
import { SqlAccessControl } from '../auth/sql-access-control';
import type { AccessControl } from '../auth/access-control';
import type { AuditLog } from '../audit/audit-log';
import { SqlAuditLog } from '../audit/sql-audit-log';
import type { Config } from '../config';
import { PostgresDatabase } from './postgres-database';
import type { SqlDatabase } from './sql-database';
import { SqlModelRegistry } from './sql-model-registry';
import type { BatchQuarantine } from './quarantine';
import { SqlQuarantine } from './sql-quarantine';
import { SqliteDatabase } from './sqlite-database';

export type RegistryConfig = Pick<Config, 'registryPath' | 'registryUrl'>;

/** Options shared by every component opened here. */
export interface OpenOptions {
  /** Clock for timestamps; tests pass a fixed one. @default () => new Date() */
  now?: () => Date;
  /** PostgreSQL only: schema holding the tables. @default the server's search_path */
  schema?: string;
}

/** The registry, access control and audit log on one database connection (or pool). */
export interface Governance {
  backend: SqlDatabase['dialect'];
  registry: SqlModelRegistry;
  access: AccessControl;
  audit: AuditLog;
  /** Quarantined data batches (released or discarded by approvers). */
  quarantine: BatchQuarantine;
  /** Closes the shared connection; call once, after the last use of any of the three. */
  close(): Promise<void>;
}

/** Opens (creating and migrating if needed) the configured database. */
export async function openRegistryDatabase(config: RegistryConfig, options: OpenOptions = {}): Promise<SqlDatabase> {
  if (config.registryUrl) return PostgresDatabase.open({ connectionString: config.registryUrl, schema: options.schema });
  return new SqliteDatabase({ path: config.registryPath });
}

/** The model registry on the configured database; `registry.close()` closes the database. */
export async function createRegistry(config: RegistryConfig, options: OpenOptions = {}): Promise<SqlModelRegistry> {
  return new SqlModelRegistry(await openRegistryDatabase(config, options), options);
}

/** Registry, access control and audit log sharing one database, as the API and model server need. */
export async function openGovernance(config: RegistryConfig, options: OpenOptions = {}): Promise<Governance> {
  const db = await openRegistryDatabase(config, options);
  return {
    backend: db.dialect,
    registry: new SqlModelRegistry(db, options),
    access: new SqlAccessControl(db, options),
    audit: new SqlAuditLog(db, options),
    quarantine: new SqlQuarantine(db, options),
    close: () => db.close(),
  };
}
