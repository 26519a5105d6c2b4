/**
 * {@link SqlDatabase} on a SQLite file via better-sqlite3, migrated when opened.
 *
 * better-sqlite3 is synchronous, but the registry's transactions are async functions (they
 * are shared with PostgreSQL). Two things follow:
 * - Another caller must not slip a statement into an open transaction between its awaits, so
 *   every statement and transaction on a file goes through one async queue per file and process.
 * - Two connections to the same file in one process must never wait for each other's write
 *   lock: SQLite's busy wait blocks the thread, and with it the transaction that holds the lock.
 *   The per-file queue keeps them apart; across processes SQLite's own lock and busy timeout apply.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql-database';
import { migrateSqlite } from './sqlite-migrations';

/** Options for {@link SqliteDatabase}. */
export interface SqliteDatabaseOptions {
  /** Database file, created if missing; `:memory:` for a private in-memory database. */
  path: string;
  /**
   * How long a write waits for another process's write lock before failing with SQLITE_BUSY; also
   * how long opening a fresh file keeps retrying its switch to WAL (`retryWhileBusy`).
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/** One queue per database file in this process, with how many connections use it. */
const queues = new Map<string, { queue: SerialQueue; users: number }>();

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly forUpdate = '';
  private readonly db: Database.Database;
  private readonly queue: SerialQueue;
  /** Key of {@link queues}; undefined for a private (in-memory) database. */
  private readonly queueKey: string | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly executor: SqlExecutor;

  constructor(options: SqliteDatabaseOptions) {
    const inMemory = options.path === ':memory:';
    if (!inMemory && !options.path.startsWith('file:')) {
      mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.db = new Database(options.path, { timeout: busyTimeoutMs });
    try {
      retryWhileBusy(() => this.db.pragma('journal_mode = WAL'), busyTimeoutMs);
      // SQLite leaves foreign keys off unless asked, per connection.
      this.db.pragma('foreign_keys = ON');
      migrateSqlite(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.queueKey = inMemory || options.path.startsWith('file:') ? undefined : realpathSync(options.path);
    const shared = this.queueKey === undefined ? undefined : queues.get(this.queueKey);
    this.queue = shared?.queue ?? new SerialQueue();
    if (this.queueKey !== undefined) queues.set(this.queueKey, { queue: this.queue, users: (shared?.users ?? 0) + 1 });
    this.executor = {
      dialect: this.dialect,
      forUpdate: this.forUpdate,
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.statement(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.statement(sql).get(...params) as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => this.statement(sql).run(...params).changes,
    };
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.queue.run(() => this.executor.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.queue.run(() => this.executor.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.queue.run(() => this.executor.run(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      // IMMEDIATE takes the write lock before the first read, so read-check-write cannot interleave.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.executor);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  snapshot<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      // In WAL mode a deferred transaction reads one snapshot and never blocks writers.
      this.db.exec('BEGIN');
      try {
        return await work(this.executor);
      } finally {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    });
  }

  /** Direct access for SQLite-only tests and tools (pragmas, tampering with rows). */
  get raw(): Database.Database {
    return this.db;
  }

  async close(): Promise<void> {
    await this.queue.run(async () => {
      if (!this.db.open) return;
      this.db.close();
      const shared = this.queueKey === undefined ? undefined : queues.get(this.queueKey);
      if (shared && --shared.users === 0) queues.delete(this.queueKey!);
    });
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Runs `step` again while it fails with SQLITE_BUSY, pausing 5–50 ms (random, so processes that
 * collided do not collide again) between tries, and gives up on the first failure after `timeoutMs`
 * (a try may itself wait up to the busy timeout for a lock, so the whole can take about twice that).
 *
 * For `journal_mode = WAL` on a file still in rollback mode: the switch reads the file under a
 * shared lock and then asks for the write lock, and when two processes opening the same fresh file
 * both do that, SQLite answers one SQLITE_BUSY at once instead of calling its busy handler (each
 * would wait for the other's shared lock: a deadlock).
 * The first process to get through switches the file; the others then read WAL and go on. Before
 * this, 10 of 240 opens failed when 8 processes opened fresh files at the same moment (workers
 * starting together on a new data folder).
 */
function retryWhileBusy<T>(step: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return step();
    } catch (err) {
      if (!(err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY')) || Date.now() >= deadline) throw err;
      // A synchronous sleep: the constructor is synchronous, and nothing else may run on this connection yet.
      Atomics.wait(pause, 0, 0, 5 + Math.floor(Math.random() * 46));
    }
  }
}

/** Runs async tasks one at a time, in call order. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
