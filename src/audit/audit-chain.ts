/**
 * The hash chain of the audit log, as pure functions: how an entry's hash is computed and how
 * a sequence of entries is checked. No storage here, so the rules are easy to read and test.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../artifacts/canonical-json';
import { AUDIT_GENESIS_HASH } from '../governance-db/migrations';
import type { AuditChainProblem, AuditChainReport, AuditEntry, AuditHead } from './audit-log';

export { AUDIT_GENESIS_HASH };

/** The fields an entry's hash covers: everything but the hashes themselves. */
export type HashedFields = Omit<AuditEntry, 'prevHash' | 'hash'>;

/** sha256(prevHash + canonical JSON of the entry), hex. Canonical JSON makes key order irrelevant. */
export function entryHash(prevHash: string, entry: HashedFields): string {
  const { seq, at, actor, action, target, reason, origin, details } = entry;
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson({ seq, at, actor, action, target, reason, origin, details }))
    .digest('hex');
}

/**
 * Checks `entries` (all of them, ordered by seq) against each other and against the stored
 * `head`, and optionally against a head recorded elsewhere earlier (`expected`).
 * Reports the first break, by position in the chain.
 */
export function verifyAuditChain(entries: Iterable<AuditEntry>, head: AuditHead, expected?: AuditHead): AuditChainReport {
  const verifier = new AuditChainVerifier(expected);
  for (const entry of entries) if (!verifier.add(entry)) break;
  return verifier.finish(head);
}

/** {@link verifyAuditChain} one entry at a time, so a long log is checked in constant memory. */
export class AuditChainVerifier {
  private prevHash = AUDIT_GENESIS_HASH;
  private count = 0;
  private problem: AuditChainProblem | undefined;
  /** Hash of the entry at `expected.seq`, once passed. */
  private expectedSeen: string | undefined;

  constructor(private readonly expected?: AuditHead) {
    if (expected?.seq === 0) this.expectedSeen = AUDIT_GENESIS_HASH;
  }

  /** Checks the next entry; false once the chain is broken (later entries need not be read). */
  add(entry: AuditEntry): boolean {
    if (this.problem) return false;
    const index = this.count;
    if (entry.seq !== index + 1) {
      // A gap in the numbering: the entry that belonged here was deleted.
      this.problem = { index, seq: entry.seq, kind: 'missing', message: `audit entry ${index + 1} is missing: found seq ${entry.seq} at position ${index}` };
    } else if (entry.prevHash !== this.prevHash) {
      this.problem = {
        index,
        seq: entry.seq,
        kind: 'missing',
        message: `audit entry ${entry.seq} does not link to the entry before it: an entry was replaced, or its link altered`,
      };
    } else if (entryHash(this.prevHash, entry) !== entry.hash) {
      this.problem = { index, seq: entry.seq, kind: 'edited', message: `audit entry ${entry.seq} was edited: its content no longer matches its hash` };
    }
    if (this.problem) return false;
    this.count++;
    this.prevHash = entry.hash;
    if (this.expected && entry.seq === this.expected.seq) this.expectedSeen = entry.hash;
    return true;
  }

  /** The verdict, given the head stored beside the log. */
  finish(head: AuditHead): AuditChainReport {
    const checked = this.count;
    const fail = (problem: AuditChainProblem): AuditChainReport => ({ ok: false, checked, head, problem });
    if (this.problem) return fail(this.problem);
    if (head.seq !== checked || head.hash !== this.prevHash) {
      return fail({
        index: checked,
        seq: null,
        kind: head.seq > checked ? 'truncated' : 'head-mismatch',
        message:
          head.seq > checked
            ? `the audit log ends at entry ${checked} but its head records entry ${head.seq}: newer entries were deleted`
            : `the audit head (seq ${head.seq}) does not match the last entry (seq ${checked}): the head or the log was altered`,
      });
    }
    const expected = this.expected;
    if (expected && this.expectedSeen !== expected.hash) {
      return fail({
        index: Math.min(expected.seq, checked),
        seq: expected.seq <= checked ? expected.seq : null,
        kind: expected.seq > checked ? 'truncated' : 'edited',
        message: `the audit log no longer contains the recorded head (seq ${expected.seq}, hash ${expected.hash.slice(0, 12)}...): it was rewritten`,
      });
    }
    return { ok: true, checked, head };
  }
}
