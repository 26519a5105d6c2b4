import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS_HASH, entryHash, verifyAuditChain } from './audit-chain';
import type { AuditEntry, AuditHead } from './audit-log';

/** A valid chain of `n` entries and its head. */
function chain(n: number): { entries: AuditEntry[]; head: AuditHead } {
  const entries: AuditEntry[] = [];
  let prevHash = AUDIT_GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields = { seq, at: `2025-01-01T00:00:0${seq}.000Z`, actor: 'alice', action: 'alias.move' as const, target: 'model:churn@champion', reason: `move ${seq}`, origin: 'cli', details: { toVersion: seq } };
    const hash = entryHash(prevHash, fields);
    entries.push({ ...fields, prevHash, hash });
    prevHash = hash;
  }
  return { entries, head: { seq: n, hash: prevHash } };
}

describe('audit hash chain', () => {
  it('hashes the previous hash and the canonical JSON of the entry, so key order does not matter', () => {
    const a = { seq: 1, at: 't', actor: 'a', action: 'run.start' as const, target: 'run:1', reason: '', origin: 'cli', details: { x: 1, y: 2 } };
    const b = { ...a, details: { y: 2, x: 1 } };
    expect(entryHash(AUDIT_GENESIS_HASH, a)).toBe(entryHash(AUDIT_GENESIS_HASH, b));
    expect(entryHash(AUDIT_GENESIS_HASH, a)).not.toBe(entryHash('f'.repeat(64), a));
    expect(entryHash(AUDIT_GENESIS_HASH, a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts an intact chain, and an empty one', () => {
    const { entries, head } = chain(5);
    expect(verifyAuditChain(entries, head)).toEqual({ ok: true, checked: 5, head });
    expect(verifyAuditChain([], { seq: 0, hash: AUDIT_GENESIS_HASH }).ok).toBe(true);
  });

  it.each([
    ['reason', { reason: 'nothing to see' }],
    ['actor', { actor: 'mallory' }],
    ['details', { details: { toVersion: 99 } }],
    ['time', { at: '2030-01-01T00:00:00.000Z' }],
  ])('reports the index of an entry whose %s was edited', (_field, change) => {
    const { entries, head } = chain(5);
    entries[2] = { ...entries[2], ...change };
    expect(verifyAuditChain(entries, head).problem).toMatchObject({ index: 2, seq: 3, kind: 'edited' });
  });

  it('reports an edit whose hash was recomputed at the next entry, whose link no longer matches', () => {
    const { entries, head } = chain(5);
    const forged = { ...entries[1], reason: 'forged' };
    entries[1] = { ...forged, hash: entryHash(forged.prevHash, forged) };
    expect(verifyAuditChain(entries, head).problem).toMatchObject({ index: 2, seq: 3, kind: 'missing' });
  });

  it('reports where an entry was deleted', () => {
    const { entries, head } = chain(5);
    entries.splice(1, 1);
    expect(verifyAuditChain(entries, head).problem).toMatchObject({ index: 1, seq: 3, kind: 'missing' });
    const firstGone = chain(3);
    expect(verifyAuditChain(firstGone.entries.slice(1), firstGone.head).problem).toMatchObject({ index: 0, kind: 'missing' });
  });

  it('reports entries cut off the end, using the stored head', () => {
    const { entries, head } = chain(5);
    expect(verifyAuditChain(entries.slice(0, 3), head).problem).toMatchObject({ index: 3, seq: null, kind: 'truncated' });
  });

  it('reports a rewritten log that no longer contains a head recorded elsewhere', () => {
    const original = chain(4);
    const rewritten = chain(4);
    rewritten.entries[0] = { ...rewritten.entries[0] };
    // A different, internally consistent history of the same length.
    const other = chain(4);
    other.entries.forEach((e) => (e.reason = 'rewritten'));
    let prev = AUDIT_GENESIS_HASH;
    for (const e of other.entries) {
      e.prevHash = prev;
      e.hash = entryHash(prev, e);
      prev = e.hash;
    }
    const otherHead = { seq: 4, hash: prev };
    expect(verifyAuditChain(other.entries, otherHead).ok).toBe(true);
    expect(verifyAuditChain(other.entries, otherHead, { seq: 2, hash: original.entries[1].hash }).problem).toMatchObject({ index: 2, kind: 'edited' });
    expect(verifyAuditChain(original.entries, original.head, { seq: 2, hash: original.entries[1].hash }).ok).toBe(true);
    expect(verifyAuditChain(original.entries, original.head, { seq: 9, hash: 'x' }).problem).toMatchObject({ kind: 'truncated' });
  });
});
