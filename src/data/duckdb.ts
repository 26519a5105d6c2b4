/**
 * Short-lived DuckDB sessions for activities: an in-memory database per call, so a
 * crashed or cancelled activity leaves nothing behind and concurrent steps never share state.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDbOptions {
  /** @default 2 */
  threads?: number;
  /**
   * Interrupts the running query when aborted (an activity's cancellation signal), so a cancelled
   * step stops scanning instead of finishing work nobody wants.
   * @default undefined: runs to the end
   */
  signal?: AbortSignal;
  /**
   * Extra DuckDB instance settings (remote sources: see REMOTE_INSTANCE_OPTIONS in httpfs-extension.ts).
   * @default {}
   */
  instanceOptions?: Readonly<Record<string, string>>;
}

export async function withDuckDb<T>(options: DuckDbOptions, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  options.signal?.throwIfAborted();
  const instance = await DuckDBInstance.create(':memory:', { ...options.instanceOptions, threads: String(options.threads ?? 2) });
  const conn = await instance.connect();
  // An interrupt only stops the query in flight: one that lands between two queries (or before the first
  // has started) is lost, so once aborted keep interrupting until fn gives up.
  let repeat: ReturnType<typeof setInterval> | undefined;
  const interrupt = (): void => {
    conn.interrupt();
    repeat ??= setInterval(() => conn.interrupt(), 50);
  };
  options.signal?.addEventListener('abort', interrupt, { once: true });
  try {
    // An abort while the database opened has already fired: listeners added now would never hear it.
    options.signal?.throwIfAborted();
    return await fn(conn);
  } finally {
    clearInterval(repeat);
    options.signal?.removeEventListener('abort', interrupt);
    conn.closeSync();
    instance.closeSync();
  }
}

/** A SQL string literal; DuckDB escapes a quote by doubling it. */
export const sqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** A quoted identifier; callers have validated names, the quoting guards keywords. */
export const sqlIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Runs a query and returns its rows as plain objects with bigints turned into numbers. */
export async function queryRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjects().map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, toPlain(v)])),
  );
}

function toPlain(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  // Timestamps, decimals and other DuckDB value classes print in DuckDB's own format.
  return String(value);
}
