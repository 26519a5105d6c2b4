import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/governance-db/migrations';

const CHILD = path.join(__dirname, 'open-fresh-file-child.ts');
const children: ChildProcess[] = [];
let dir: string | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Opener {
  ready: Promise<void>;
  /** Every line after `ready`, once the child exited with 0. */
  results: Promise<{ i: number; result: string }[]>;
  openAt: (i: number, at: number) => void;
  done: () => void;
}

function startOpener(dir: string): Opener {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let stderr = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => (line === 'ready' ? markReady() : lines.push(line)));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const results = new Promise<{ i: number; result: string }[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady(); // a child that died early must not hold the others at the barrier
      if (code === 0) resolve(lines.map((l) => JSON.parse(l) as { i: number; result: string }));
      else reject(new Error(`opener exited with ${code}: ${stderr}`));
    });
  });
  return { ready, results, openAt: (i, at) => child.stdin!.write(`${i} ${at}\n`), done: () => child.stdin!.end() };
}

describe('a SQLite file opened by several processes at once', () => {
  // Workers starting together on a new data folder. Without the retry in sqlite-database.ts,
  // `journal_mode = WAL` failed with SQLITE_BUSY in 10 of 240 such opens (8 processes).
  it('opens in every process, in WAL mode, each migration applied once', { timeout: 60_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-concurrent-open-'));
    const [processes, files] = [8, 10];
    const openers = Array.from({ length: processes }, () => startOpener(dir!));
    await Promise.all(openers.map((o) => o.ready));
    for (let i = 0; i < files; i++) {
      const at = Date.now() + 100;
      for (const o of openers) o.openAt(i, at);
      await sleep(250);
    }
    for (const o of openers) o.done();
    const results = (await Promise.all(openers.map((o) => o.results))).flat();

    expect(results.filter((r) => r.result !== 'ok')).toEqual([]);
    expect(results).toHaveLength(processes * files);
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
