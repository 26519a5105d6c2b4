/**
 * A fresh folder for SQLite registry files in each test of the calling file: every registry opened
 * through it is closed after the test and the folder removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';

export interface SqliteRegistryFiles {
  /** The test's folder. */
  dir(): string;
  /** `registry.db` in the test's folder: what {@link SqliteRegistryFiles.open} opens by default. */
  dbPath(): string;
  /** A registry on `path` (default {@link SqliteRegistryFiles.dbPath}), closed after the test. */
  open(path?: string): SqliteModelRegistry;
}

/** Registers the hooks; `prefix` names the temporary folder. */
export function useSqliteRegistryFiles(prefix: string): SqliteRegistryFiles {
  let dir: string | undefined;
  const open: SqliteModelRegistry[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    dir = undefined;
  });
  const files: SqliteRegistryFiles = {
    dir() {
      if (!dir) throw new Error('useSqliteRegistryFiles: the folder exists only inside a test');
      return dir;
    },
    dbPath: () => join(files.dir(), 'registry.db'),
    open(path = files.dbPath()) {
      const registry = new SqliteModelRegistry({ path });
      open.push(registry);
      return registry;
    },
  };
  return files;
}
