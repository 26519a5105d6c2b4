import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/governance-db/migrations';

const CHILD = path.join(__dirname, 'open-fresh-file-child.ts');
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a SQLite file opened by several processes at once', () => {
  // Workers starting together on a new data folder. Without the retry in sqlite-database.ts,
  // `journal_mode = WAL` failed with SQLITE_BUSY in 10 of 240 such opens (8 processes).
  it('opens in every process, in WAL mode, each migration applied once', { timeout: 60_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-concurrent-open-'));
    const [processes, files] = [8, 10];
    const children = Array.from({ length: processes }, () => spawn(process.execPath, ['--import', 'tsx', CHILD, dir!, String(files)], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const outputs = children.map(
      (child) =>
        new Promise<{ ready: Promise<void>; results: Promise<string[]> }>((resolve) => {
          let ready!: () => void;
          const readyP = new Promise<void>((r) => (ready = r));
          let results!: (x: string[]) => void;
          const resultsP = new Promise<string[]>((r) => (results = r));
          createInterface({ input: child.stdout! }).on('line', (line) => (line === 'ready' ? ready() : results(JSON.parse(line) as string[])));
          resolve({ ready: readyP, results: resultsP });
        }),
    );
    const lines = await Promise.all(outputs);
    await Promise.all(lines.map((l) => l.ready));
    for (let i = 0; i < files; i++) {
      await writeFile(path.join(dir, `go-${i}`), '');
      await sleep(150);
    }
    const results = await Promise.all(lines.map((l) => l.results));

    expect(results.flat().filter((r) => r !== 'ok')).toEqual([]);
    expect(results.flat()).toHaveLength(processes * files);
    for (let i = 0; i < files; i++) {
      const db = new Database(path.join(dir, `db-${i}.sqlite`), { readonly: true });
      try {
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        db.close();
      }
    }
  });
});
