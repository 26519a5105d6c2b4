/**
 * The governance stores on the configured database (src/governance-db picks SQLite or
 * PostgreSQL): the model registry alone for the worker, or the registry, access control, audit
 * log and quarantine on one connection for the API, the CLI and the model server.
 */
import { SqlAccessControl } from '../auth/sql-access-control';
import type { AccessControl } from '../auth/access-control';
import type { AuditLog } from '../audit/audit-log';
import { SqlAuditLog } from '../audit/sql-audit-log';
import { openDatabase, type DatabaseConfig, type DatabaseOptions } from '../governance-db/open-database';
import type { SqlDatabase } from '../governance-db/sql-database';
import { SqlModelRegistry } from './sql-model-registry';
import type { BatchQuarantine } from './quarantine';
import { SqlQuarantine } from './sql-quarantine';

/** Options shared by every component opened here. */
export interface OpenOptions extends DatabaseOptions {
  /** Clock for timestamps; tests pass a fixed one. @default () => new Date() */
  now?: () => Date;
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

/** The model registry on the configured database; `registry.close()` closes the database. */
export async function createRegistry(config: DatabaseConfig, options: OpenOptions = {}): Promise<SqlModelRegistry> {
  return new SqlModelRegistry(await openDatabase(config, options), options);
}

/** Registry, access control and audit log sharing one database, as the API and model server need. */
export async function openGovernance(config: DatabaseConfig, options: OpenOptions = {}): Promise<Governance> {
  const db = await openDatabase(config, options);
  return {
    backend: db.dialect,
    registry: new SqlModelRegistry(db, options),
    access: new SqlAccessControl(db, options),
    audit: new SqlAuditLog(db, options),
    quarantine: new SqlQuarantine(db, options),
    close: () => db.close(),
  };
}
