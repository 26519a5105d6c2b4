import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../governance-db/migrations';
import { isRegistryError } from './registry-error';
import { move, registration, registerVersions } from '../../test/support/registry-test-fixtures';
import { useSqliteRegistryFiles } from '../../test/support/sqlite-registry-files';

// Behaviour shared with PostgreSQL is specified in registry.test.ts; this file covers what is SQLite's own.
const files = useSqliteRegistryFiles('slipway-registry-');
const openRegistry = (path?: string) => files.open(path);

describe('SqliteModelRegistry', () => {
  it('is ready as soon as it is constructed, creating folders as needed', async () => {
    const registry = openRegistry(join(files.dir(), 'nested', 'deeper', 'registry.db'));
    await registerVersions(registry, 1);
    expect((await registry.setAlias(move())).toVersion).toBe(1);
  });

  it('uses WAL and records every migration', () => {
    openRegistry();
    openRegistry();
    const db = new Database(files.dbPath(), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      db.close();
    }
  });

  it('throws from the constructor when the schema is newer than this code', () => {
    openRegistry();
    const db = new Database(files.dbPath());
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    db.close();
    expect(() => openRegistry()).toThrow(expect.objectContaining({ details: expect.objectContaining({ kind: 'schema-too-new' }) }));
    try {
      openRegistry();
    } catch (err) {
      expect(isRegistryError(err, 'schema-too-new')).toBe(true);
    }
  });

  it('works in memory', async () => {
    const registry = openRegistry(':memory:');
    expect((await registry.registerVersion(registration())).version).toBe(1);
  });

  it('lets one process hold two connections to the same file without blocking itself', async () => {
    const [a, b] = [openRegistry(), openRegistry()];
    await registerVersions(a, 4);
    // Interleaved writes on two connections: SQLite's busy wait would block the thread holding the lock.
    const results = await Promise.allSettled([1, 2, 3, 4].flatMap((v) => [a, b].map((r) => r.setAlias(move({ version: v, expectedVersion: null, alias: `a${v}` })))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    expect(await b.aliasHistory('churn')).toHaveLength(4);
  });
});
