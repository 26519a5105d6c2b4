/**
 * The schema of the registry, access control and audit log (one database) as an ordered
 * list of migrations, shared by the SQLite and PostgreSQL backends.
 *
 * Portable on purpose: only TEXT / INTEGER / BIGINT columns, JSON kept as TEXT, composite
 * keys instead of auto-increment (SQLite's `INTEGER PRIMARY KEY` and PostgreSQL's identity
 * columns are spelled differently). The few statements that cannot be portable (triggers)
 * are given per dialect. Append new migrations; never edit an applied one.
 */
import { RegistryError } from '../errors';
import type { SqlDialect } from './sql-database';

/** A statement written once per dialect, for what has no common spelling (triggers). */
export type DialectStatement = Readonly<Record<SqlDialect, string>>;

export interface Migration {
  /** Strictly increasing, starting at 1; recorded in `schema_migrations` once applied. */
  version: number;
  /** Short description, recorded alongside the version. */
  name: string;
  /** Statements run in order, inside one transaction with the bookkeeping row. */
  statements: readonly (string | DialectStatement)[];
}

/** The statement to run on `dialect`. */
export const statementFor = (statement: string | DialectStatement, dialect: SqlDialect): string =>
  typeof statement === 'string' ? statement : statement[dialect];

/** Hash that the first audit entry chains from. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** Refuses UPDATE and DELETE on an append-only table, on both dialects. */
function appendOnly(table: string): DialectStatement[] {
  return (['UPDATE', 'DELETE'] as const).map((op) => ({
    sqlite: `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
      BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
    postgres: `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
      FOR EACH ROW EXECUTE FUNCTION slipway_refuse_change()`,
  }));
}

/** Created before any migration runs; records which migrations a database has. */
export const SCHEMA_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'models, versions, aliases and alias history',
    statements: [
      `CREATE TABLE models (
        name TEXT NOT NULL PRIMARY KEY,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE model_versions (
        model TEXT NOT NULL REFERENCES models (name),
        version INTEGER NOT NULL,
        idempotency_key TEXT NOT NULL,
        artifact TEXT NOT NULL,
        metrics TEXT NOT NULL,
        params TEXT NOT NULL,
        lineage TEXT NOT NULL,
        tags TEXT NOT NULL,
        description TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (model, version),
        UNIQUE (model, idempotency_key)
      )`,
      `CREATE TABLE aliases (
        model TEXT NOT NULL,
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (model, alias),
        FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
      )`,
      // seq orders moves within a model across all its aliases; it is MAX+1 under the write lock.
      `CREATE TABLE alias_moves (
        model TEXT NOT NULL REFERENCES models (name),
        seq BIGINT NOT NULL,
        alias TEXT NOT NULL,
        from_version INTEGER,
        to_version INTEGER NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL,
        evidence TEXT NOT NULL,
        moved_at TEXT NOT NULL,
        idempotency_key TEXT,
        PRIMARY KEY (model, seq),
        UNIQUE (model, idempotency_key),
        FOREIGN KEY (model, to_version) REFERENCES model_versions (model, version)
      )`,
      `CREATE INDEX alias_moves_by_alias ON alias_moves (model, alias, seq)`,
    ],
  },
  {
    version: 2,
    name: 'audit log, principals, API tokens, alias grants; append-only triggers',
    statements: [
      // seq is MAX+1 under the lock on audit_head's single row, which every append takes.
      `CREATE TABLE audit_log (
        seq BIGINT NOT NULL PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        reason TEXT NOT NULL,
        origin TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE INDEX audit_log_by_target ON audit_log (target, seq)`,
      `CREATE INDEX audit_log_by_actor ON audit_log (actor, seq)`,
      // The chain's last link, so deleting the newest entries is detected too.
      `CREATE TABLE audit_head (
        id INTEGER NOT NULL PRIMARY KEY,
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${AUDIT_GENESIS_HASH}')`,
      `CREATE TABLE principals (
        name TEXT NOT NULL PRIMARY KEY,
        roles TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        disabled_at TEXT
      )`,
      `CREATE TABLE api_tokens (
        id TEXT NOT NULL PRIMARY KEY,
        principal TEXT NOT NULL REFERENCES principals (name),
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        revoked_by TEXT
      )`,
      `CREATE TABLE alias_grants (
        principal TEXT NOT NULL REFERENCES principals (name),
        model TEXT NOT NULL,
        alias TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        granted_by TEXT NOT NULL,
        PRIMARY KEY (principal, model, alias)
      )`,
      {
        sqlite: 'SELECT 1',
        postgres: `CREATE FUNCTION slipway_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`,
      },
      ...appendOnly('audit_log'),
      ...appendOnly('alias_moves'),
    ],
  },
  {
    // Version 5 is reserved for this migration; 3 and 4 belong to other changes and may apply later.
    version: 5,
    name: 'quarantined data batches',
    statements: [
      `CREATE TABLE quarantined_batches (
        model TEXT NOT NULL,
        data_digest TEXT NOT NULL,
        state TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        snapshots TEXT NOT NULL,
        report TEXT NOT NULL,
        report_html TEXT NOT NULL,
        failed TEXT NOT NULL,
        findings TEXT NOT NULL,
        quarantined_at TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT,
        decision_reason TEXT,
        PRIMARY KEY (model, data_digest)
      )`,
      'CREATE INDEX quarantined_batches_state ON quarantined_batches (state, quarantined_at)',
    ],
  },
];

/**
 * The migrations a database with `applied` versions still needs, in order.
 * @throws RegistryError `schema-too-new` when the database is ahead of this code: older code
 * must not write to a schema it does not understand.
 */
export function pendingMigrations(applied: ReadonlySet<number>): Migration[] {
  const latestKnown = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  const newest = Math.max(0, ...applied);
  if (newest > latestKnown) {
    throw new RegistryError(`Registry database is at schema version ${newest} but this Slipway knows only up to ${latestKnown}; upgrade Slipway`, {
      details: { kind: 'schema-too-new', databaseVersion: newest, knownVersion: latestKnown },
    });
  }
  return MIGRATIONS.filter((m) => !applied.has(m.version));
}
