/**
 * A registry database that the API, the CLI and a Temporal worker all open through plain
 * configuration (SLIPWAY_REGISTRY_PATH / SLIPWAY_REGISTRY_URL), on SQLite or PostgreSQL.
 * PostgreSQL isolation is a fresh schema named in the URL's `options` (search_path), so even
 * code that opens the database by URL alone, like the worker, stays inside it.
 *
 * The PostgreSQL URL comes from src/registry/test-backends.ts: SLIPWAY_TEST_POSTGRES_URL or
 * scripts/postgres.sh, failing loudly when neither works (SLIPWAY_SKIP_POSTGRES=1 skips, titled).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SqliteDatabase } from '../../src/governance-db/sqlite-database';
import { testPostgresUrl, type TestBackend } from '../support/test-backends';

export interface GovernanceStore {
  /** Environment variables pointing Slipway (config, CLI, worker) at this database. */
  env: Record<string, string>;
  /** SQL on a connection of its own, as someone with database access would run it. */
  raw(sql: string, params?: (string | number | null)[]): Promise<void>;
  /** Disables the append-only triggers of `table`, as a superuser could. */
  dropAppendOnlyGuard(table: 'audit_log' | 'alias_moves'): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createGovernanceStore(backend: TestBackend['name']): Promise<GovernanceStore> {
  return backend === 'sqlite' ? sqliteStore() : postgresStore();
}

async function sqliteStore(): Promise<GovernanceStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-gov-'));
  const file = path.join(dir, 'registry.sqlite');
  const withDb = async (work: (db: SqliteDatabase) => Promise<unknown>) => {
    const db = new SqliteDatabase({ path: file });
    try {
      await work(db);
    } finally {
      await db.close();
    }
  };
  return {
    env: { SLIPWAY_REGISTRY_PATH: file },
    raw: (sql, params = []) => withDb((db) => db.run(sql, params)),
    dropAppendOnlyGuard: (table) => withDb(async (db) => {
      await db.run(`DROP TRIGGER ${table}_no_update`);
      await db.run(`DROP TRIGGER ${table}_no_delete`);
    }),
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }),
  };
}

async function postgresStore(): Promise<GovernanceStore> {
  const base = testPostgresUrl();
  const schema = `gov_${process.pid}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path = ${schema}`);
  const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    env: { SLIPWAY_REGISTRY_URL: url },
    async raw(sql, params = []) {
      let n = 0;
      await admin.query(sql.replace(/\?/g, () => `$${++n}`), params);
    },
    async dropAppendOnlyGuard(table) {
      await admin.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    },
    async cleanup() {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}
