/**
 * The two database backends, for tests that must pass on both (`describe.each(BACKENDS)`).
 * Each test gets its own empty store: a SQLite file in a temp folder, or a PostgreSQL schema.
 *
 * PostgreSQL comes from SLIPWAY_TEST_POSTGRES_URL, or else from `scripts/postgres.sh`, which
 * starts (installing if needed) a throwaway local cluster and prints its URL. If neither works
 * the PostgreSQL tests fail: CI must not pass without them. For local work without PostgreSQL,
 * SLIPWAY_SKIP_POSTGRES=1 skips them and says so.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe } from 'vitest';
import { PostgresDatabase } from '../../src/governance-db/postgres-database';
import type { SqlDatabase } from '../../src/governance-db/sql-database';
import { SqliteDatabase } from '../../src/governance-db/sqlite-database';

export interface TestBackend {
  name: SqlDatabase['dialect'];
  /** Why this backend's tests are skipped, or undefined when they run. */
  skip: string | undefined;
  /** A new, empty store. */
  create(): Promise<TestStore>;
}

/** One test's database. */
export interface TestStore {
  /** A new connection (SQLite) or pool (PostgreSQL) to this store, migrated; closed by `cleanup`. */
  open(): Promise<SqlDatabase>;
  /** Runs SQL on a connection that bypasses nothing but the code under test (for tampering). */
  raw(sql: string, params?: (string | number | null)[]): Promise<void>;
  /** Disables the append-only triggers of `table`, as an attacker with database access could. */
  dropAppendOnlyGuard(table: 'audit_log' | 'alias_moves'): Promise<void>;
  cleanup(): Promise<void>;
}

const skipPostgres = process.env.SLIPWAY_SKIP_POSTGRES === '1' ? 'SLIPWAY_SKIP_POSTGRES=1' : undefined;
if (skipPostgres) {
  console.warn('PostgreSQL tests are SKIPPED (SLIPWAY_SKIP_POSTGRES=1); CI runs them.');
}

let postgresUrl: string | undefined;

/** The test cluster's URL: from the environment, or by starting the local one. Throws when neither works. */
export function testPostgresUrl(): string {
  if (postgresUrl) return postgresUrl;
  const fromEnv = process.env.SLIPWAY_TEST_POSTGRES_URL;
  if (fromEnv) return (postgresUrl = fromEnv);
  const script = path.resolve(__dirname, '../../scripts/postgres.sh');
  try {
    postgresUrl = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).toString().trim();
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `PostgreSQL tests need a server: set SLIPWAY_TEST_POSTGRES_URL, or let scripts/postgres.sh start one ` +
        `(it failed: ${stderr.trim() || (err as Error).message}). To skip them locally, set SLIPWAY_SKIP_POSTGRES=1.`,
    );
  }
  return postgresUrl;
}

const sqlite: TestBackend = {
  name: 'sqlite',
  skip: undefined,
  async create() {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-db-'));
    const file = path.join(dir, 'registry.db');
    const opened: SqlDatabase[] = [];
    const open = async () => {
      const db = new SqliteDatabase({ path: file });
      opened.push(db);
      return db;
    };
    return {
      open,
      async raw(sql, params = []) {
        const db = await open();
        await db.run(sql, params);
      },
      async dropAppendOnlyGuard(table) {
        const db = await open();
        await db.run(`DROP TRIGGER ${table}_no_update`);
        await db.run(`DROP TRIGGER ${table}_no_delete`);
      },
      async cleanup() {
        await Promise.all(opened.map((db) => db.close()));
        // Retries: a worker that was just closed may still be finishing a write under dir (ENOTEMPTY).
        await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      },
    };
  },
};

const postgres: TestBackend = {
  name: 'postgres',
  skip: skipPostgres,
  async create() {
    const url = testPostgresUrl();
    const schema = `t_${process.pid}_${randomBytes(6).toString('hex')}`;
    const opened: SqlDatabase[] = [];
    const admin = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await admin.connect();
    return {
      async open() {
        const db = await PostgresDatabase.open({ connectionString: url, schema, poolSize: 4 });
        opened.push(db);
        return db;
      },
      async raw(sql, params = []) {
        let n = 0;
        await admin.query(sql.replace(/\?/g, () => `$${++n}`), params);
      },
      async dropAppendOnlyGuard(table) {
        await admin.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      },
      async cleanup() {
        await Promise.all(opened.map((db) => db.close()));
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      },
    };
  },
};

export const BACKENDS: readonly TestBackend[] = [sqlite, postgres];

/**
 * Declares the same suite once per backend: `<title> on sqlite`, `<title> on postgres`. A skipped
 * backend's suite still appears, titled with the reason.
 */
export function describeEachBackend(title: string, body: (backend: TestBackend) => void): void {
  for (const backend of BACKENDS) {
    describe.skipIf(backend.skip)(`${title} on ${backend.name}${backend.skip ? ` (SKIPPED: ${backend.skip})` : ''}`, () => body(backend));
  }
}

/**
 * Gives each test of the calling `describe` a fresh store of `backend`, cleaned up afterwards.
 * Returns a getter, valid inside tests.
 */
export function useTestStore(backend: TestBackend): () => TestStore {
  let store: TestStore | undefined;
  beforeEach(async () => {
    store = await backend.create();
  });
  afterEach(async () => {
    await store?.cleanup();
    store = undefined;
  });
  return () => {
    if (!store) throw new Error('useTestStore: the store exists only inside a test');
    return store;
  };
}
