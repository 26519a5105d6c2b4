/**
 * The audit log: an append-only, hash-chained record of every mutating action: who did what
 * to which target, when, why and from where. Each entry's hash covers the previous entry's
 * hash, so editing or deleting any entry breaks the chain at that point; see ARCHITECTURE.md.
 */

/**
 * Actions Slipway records. The list is open (`<noun>.<verb>`, lowercase) so a new feature can
 * audit its own actions, but these names are stable: queries and dashboards rely on them.
 */
export const AUDIT_ACTIONS = [
  'run.start',
  'run.cancel',
  'run.approve',
  'run.reject',
  'model.promote',
  'model.rollback',
  'alias.move',
  'version.register',
  'version.annotate',
  'schema.pin',
  'schedule.change',
  'token.create',
  'token.revoke',
  'principal.change',
  'grant.change',
  'deployment.change',
  'deployment.remove',
  'data.quarantine',
  'data.release',
  'data.discard',
  'data.purge',
  'data.refuse',
] as const;

export type KnownAuditAction = (typeof AUDIT_ACTIONS)[number];
/** A known action, or another `<noun>.<verb>` name. */
export type AuditAction = KnownAuditAction | `${string}.${string}`;

/** What a caller records; the log adds the sequence number, time and hashes. */
export interface AuditEntryInput {
  /** Principal name, or `workflow:<id>` / `system:<component>` for automated actors. */
  actor: string;
  action: AuditAction;
  /** What was acted on, e.g. `model:churn@champion`, `run:<workflowId>`, `token:<id>`. */
  target: string;
  /** Why, in the actor's words. @default '' */
  reason?: string;
  /** Where the request came from, e.g. `api 10.0.0.7`, `cli`, `workflow:<id>`. @default 'unspecified' */
  origin?: string;
  /** Small JSON facts: versions moved, evidence links, token ids (never secrets). @default {} */
  details?: Record<string, unknown>;
}

/** One recorded entry. */
export interface AuditEntry {
  /** 1, 2, 3, ... with no gaps. */
  seq: number;
  /** ISO 8601 timestamp. */
  at: string;
  actor: string;
  action: AuditAction;
  target: string;
  reason: string;
  origin: string;
  details: Record<string, unknown>;
  /** Hash of the previous entry; 64 zeros for the first. */
  prevHash: string;
  /** sha256(prevHash + canonical JSON of the entry's other fields), hex. */
  hash: string;
}

/** Filters of {@link AuditLog.list}; all optional and combined with AND. */
export interface AuditQuery {
  actor?: string;
  action?: AuditAction;
  /** Exact target, e.g. `model:churn@champion`. */
  target?: string;
  /** Target prefix, e.g. `model:churn` for everything about that model. */
  targetPrefix?: string;
  /** Only entries with a larger seq (for paging forward). */
  afterSeq?: number;
  /** Only entries with a smaller seq (for paging back, newest first). */
  beforeSeq?: number;
  /** Newest first instead of oldest first. @default false */
  newestFirst?: boolean;
  /** @default 100, at most 1000 */
  limit?: number;
}

/** The end of the chain: the newest entry's seq and hash (0 and 64 zeros when empty). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** Result of checking the chain. */
export interface AuditChainReport {
  ok: boolean;
  /** Entries checked. */
  checked: number;
  /** The head recorded beside the log. */
  head: AuditHead;
  /** The first problem found, when not ok. */
  problem?: AuditChainProblem;
}

export interface AuditChainProblem {
  /**
   * 0-based position in the chain where it first breaks: the entry that was edited, the place
   * where a deleted entry was, or the length of the log when entries were cut off its end.
   */
  index: number;
  /** seq of the entry at `index`, when there is one. */
  seq: number | null;
  kind: 'edited' | 'missing' | 'truncated' | 'head-mismatch';
  message: string;
}

export interface AuditLog {
  /** Appends an entry in its own transaction and returns it. */
  append(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Entries matching `query`, oldest first unless `newestFirst`. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
  /** The newest entry's seq and hash; keep a copy elsewhere to detect a rewritten log. */
  head(): Promise<AuditHead>;
  /**
   * Re-hashes every entry in order and checks the links, the numbering and the stored head.
   * @param expected a head recorded earlier outside the database; the log must still contain it.
   */
  verify(expected?: AuditHead): Promise<AuditChainReport>;
}
