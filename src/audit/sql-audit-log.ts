/**
 * {@link AuditLog} in the registry's database (SQLite or PostgreSQL).
 *
 * Appends are serialised by locking the single `audit_head` row, so seq numbers have no gaps
 * and every entry links to the one before it even with many writers. Other modules record
 * their writes with {@link appendAuditEntry} inside their own transaction, so an action and its
 * entry commit or roll back together.
 */
import { AuditError } from '../errors';
import type { SqlDatabase, SqlExecutor } from '../governance-db/sql-database';
import { canonicalJson } from '../artifacts/canonical-json';
import { AuditChainVerifier, entryHash } from './audit-chain';
import type { AuditChainReport, AuditEntry, AuditEntryInput, AuditHead, AuditLog, AuditQuery } from './audit-log';

const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const MAX_TEXT = 2000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Entries read per query while verifying, so a long log is never held in one result set. */
const VERIFY_PAGE = 5000;

interface EntryRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  reason: string;
  origin: string;
  details: string;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'seq, at, actor, action, target, reason, origin, details, prev_hash, hash';

/**
 * Appends one entry inside the caller's transaction `tx`.
 * @param at ISO 8601 time of the action (the caller's clock, so the action and its entry agree).
 * @throws AuditError when the entry is invalid; the caller's transaction then rolls back.
 */
export async function appendAuditEntry(tx: SqlExecutor, input: AuditEntryInput, at: string): Promise<AuditEntry> {
  assertEntryInput(input);
  const head = await tx.get<AuditHead>(`SELECT seq, hash FROM audit_head WHERE id = 1${tx.forUpdate}`);
  if (!head) throw new AuditError('The audit_head row is missing: the audit log was tampered with; run audit verify');
  const fields = {
    seq: head.seq + 1,
    at,
    actor: input.actor,
    action: input.action,
    target: input.target,
    reason: input.reason ?? '',
    origin: input.origin ?? 'unspecified',
    // Stored canonical so the text read back hashes to the same value.
    details: JSON.parse(canonicalJson(input.details ?? {})) as Record<string, unknown>,
  };
  const entry: AuditEntry = { ...fields, prevHash: head.hash, hash: entryHash(head.hash, fields) };
  await tx.run(`INSERT INTO audit_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    entry.seq,
    entry.at,
    entry.actor,
    entry.action,
    entry.target,
    entry.reason,
    entry.origin,
    canonicalJson(entry.details),
    entry.prevHash,
    entry.hash,
  ]);
  await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [entry.seq, entry.hash]);
  return entry;
}

/** Options for {@link SqlAuditLog}. */
export interface SqlAuditLogOptions {
  /** @default () => new Date() */
  now?: () => Date;
}

export class SqlAuditLog implements AuditLog {
  private readonly now: () => Date;

  constructor(
    private readonly db: SqlDatabase,
    options: SqlAuditLogOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async append(entry: AuditEntryInput): Promise<AuditEntry> {
    assertEntryInput(entry);
    return this.db.transaction((tx) => appendAuditEntry(tx, entry, this.now().toISOString()));
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, value: string | number | undefined): void => {
      if (value === undefined) return;
      where.push(sql);
      params.push(value);
    };
    add('actor = ?', query.actor);
    add('action = ?', query.action);
    add('target = ?', query.target);
    // substr rather than LIKE: a prefix containing % or _ must match literally.
    if (query.targetPrefix !== undefined) {
      where.push('substr(target, 1, ?) = ?');
      params.push(query.targetPrefix.length, query.targetPrefix);
    }
    add('seq > ?', query.afterSeq);
    add('seq < ?', query.beforeSeq);
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
    const rows = await this.db.all<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq ${query.newestFirst ? 'DESC' : 'ASC'} LIMIT ${limit}`,
      params,
    );
    return rows.map(toEntry);
  }

  async head(): Promise<AuditHead> {
    return (await this.db.get<AuditHead>('SELECT seq, hash FROM audit_head WHERE id = 1')) ?? { seq: -1, hash: '' };
  }

  verify(expected?: AuditHead): Promise<AuditChainReport> {
    // One snapshot, so entries appended while we read neither count nor look like a mismatch.
    return this.db.snapshot(async (tx) => {
      const head = (await tx.get<AuditHead>('SELECT seq, hash FROM audit_head WHERE id = 1')) ?? { seq: -1, hash: 'missing' };
      const verifier = new AuditChainVerifier(expected);
      // Pages by position, not by seq: a duplicated or out-of-order seq must reach the verifier too.
      for (let offset = 0; ; offset += VERIFY_PAGE) {
        const page = await tx.all<EntryRow>(`SELECT ${COLUMNS} FROM audit_log ORDER BY seq LIMIT ${VERIFY_PAGE} OFFSET ${offset}`);
        if (!page.every((row) => verifier.add(toEntry(row))) || page.length < VERIFY_PAGE) break;
      }
      return verifier.finish(head);
    });
  }
}

function toEntry(row: EntryRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action as AuditEntry['action'],
    target: row.target,
    reason: row.reason,
    origin: row.origin,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function assertEntryInput(input: AuditEntryInput): void {
  const text = (field: string, value: unknown, required: boolean): void => {
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || (required && value.trim() === '') || value.length > MAX_TEXT) {
      throw new AuditError(
        `Invalid audit entry: ${field} must be ${required ? 'a non-empty string' : 'a string'} of at most ${MAX_TEXT} characters, got ${JSON.stringify(value)?.slice(0, 80)}`,
        { details: { field } },
      );
    }
  };
  text('actor', input.actor, true);
  text('target', input.target, true);
  text('reason', input.reason, false);
  text('origin', input.origin, false);
  if (typeof input.action !== 'string' || !ACTION.test(input.action)) {
    throw new AuditError(`Invalid audit entry: action must look like "model.promote", got ${JSON.stringify(input.action)}`, {
      details: { field: 'action' },
    });
  }
  if (input.details !== undefined && (typeof input.details !== 'object' || input.details === null || Array.isArray(input.details))) {
    throw new AuditError('Invalid audit entry: details must be a JSON object', { details: { field: 'details' } });
  }
}
