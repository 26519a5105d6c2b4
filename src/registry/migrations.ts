/**
 * The registry's schema as an ordered list of migrations, shared by every SQL backend.
 *
 * Portable on purpose: only TEXT / INTEGER / BIGINT columns, JSON kept as TEXT, composite
 * keys instead of auto-increment (SQLite's `INTEGER PRIMARY KEY` and PostgreSQL's identity
 * columns are spelled differently). Append new migrations; never edit an applied one.
 */

export interface Migration {
  /** Strictly increasing, starting at 1; recorded in `schema_migrations` once applied. */
  version: number;
  /** Short description, recorded alongside the version. */
  name: string;
  /** Statements run in order, inside one transaction with the bookkeeping row. */
  statements: readonly string[];
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
];
