import { describe, expect, it } from 'vitest';
import type { AuditEntry } from './audit-log';
import { writeAhead, type AuditedAction } from './write-ahead';

/** An appender over an array: enough to see the order and the links (the SQL log is tested on its own). */
function memoryLog() {
  const entries: AuditEntry[] = [];
  const append = async (e: AuditedAction): Promise<AuditEntry> => {
    const entry = { seq: entries.length + 1, at: '', actor: 'a', origin: 'o', reason: '', details: {}, prevHash: '', hash: '', ...e } as AuditEntry;
    entries.push(entry);
    return entry;
  };
  return { entries, append };
}

describe('writeAhead', () => {
  it('writes the intent before the call and a linked outcome after it', async () => {
    const log = memoryLog();
    let seenDuringCall = 0;
    const result = await writeAhead(log.append, { action: 'run.cancel', target: 'run:w' }, async () => {
      seenDuringCall = log.entries.length;
      return { state: 'done' };
    }, (r) => ({ state: r.state }));
    expect(result).toEqual({ state: 'done' });
    expect(seenDuringCall).toBe(1);
    expect(log.entries.map((e) => e.details)).toEqual([{ phase: 'intent' }, { phase: 'outcome', intentSeq: 1, outcome: 'succeeded', state: 'done' }]);
  });

  it('records a failed call as a failed outcome and rethrows its error', async () => {
    const log = memoryLog();
    const err = await writeAhead(log.append, { action: 'run.cancel', target: 'run:w' }, async () => {
      throw new TypeError('unreachable');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(log.entries[1].details).toEqual({ phase: 'outcome', intentSeq: 1, outcome: 'failed', error: 'TypeError: unreachable' });
  });

  it('does not call Temporal when the intent cannot be written', async () => {
    let called = false;
    const failing = async (): Promise<AuditEntry> => {
      throw new Error('database is locked');
    };
    await expect(writeAhead(failing, { action: 'run.start', target: 'run:w' }, async () => (called = true))).rejects.toThrow('database is locked');
    expect(called).toBe(false);
  });
});
