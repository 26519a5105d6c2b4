import { describe, expect, it } from 'vitest';
import { FeedbackLedger, LEDGER_ENTRY_OVERHEAD_BYTES } from './feedback-ledger';


describe('FeedbackLedger', () => {
  it('keeps a copy of a view, never the buffer it views', () => {
    const batch = new Float32Array(256);
    const ledger = new FeedbackLedger(10);
    ledger.remember('a', 'm', 1, batch.subarray(3, 4), 0);
    expect(ledger.get('a')!.scores.buffer.byteLength).toBe(4);
    expect(ledger.bytes).toBe(LEDGER_ENTRY_OVERHEAD_BYTES + 4);
  });

  it('forgets the oldest entries past its byte budget, and past its entry cap', () => {
    const perEntry = LEDGER_ENTRY_OVERHEAD_BYTES + 4000;
    const ledger = new FeedbackLedger(100, 3 * perEntry);
    for (let i = 0; i < 5; i++) ledger.remember(`r${i}`, 'm', 1, new Float32Array(1000), 0);
    expect([ledger.size, ledger.bytes, ledger.get('r1'), ledger.get('r2') !== undefined]).toEqual([3, 3 * perEntry, undefined, true]);
    const capped = new FeedbackLedger(2);
    for (let i = 0; i < 5; i++) capped.remember(`r${i}`, 'm', 1, new Float32Array(1), 0);
    expect(capped.size).toBe(2);
  });

  it('at capacity, keeps exactly the newest requests however many came before', () => {
    const ledger = new FeedbackLedger(3);
    for (let i = 0; i < 10_000; i++) ledger.remember(`r${i}`, 'm', 1, new Float32Array(1), i);
    expect([ledger.size, ledger.get('r9996'), ...['r9997', 'r9998', 'r9999'].map((id) => ledger.get(id)?.predictedAt)]).toEqual([3, undefined, 9997, 9998, 9999]);
    expect(ledger.bytes).toBe(3 * (LEDGER_ENTRY_OVERHEAD_BYTES + 4));
  });

  it('a repeated request id replaces its record, counted once, in its first place in line', () => {
    const ledger = new FeedbackLedger(2);
    ledger.remember('a', 'm', 1, new Float32Array(1), 0);
    ledger.remember('b', 'm', 1, new Float32Array(1), 1);
    ledger.remember('a', 'm', 2, new Float32Array(2), 2);
    expect([ledger.size, ledger.get('a')?.version, ledger.bytes]).toEqual([2, 2, 2 * LEDGER_ENTRY_OVERHEAD_BYTES + 12]);
    ledger.remember('c', 'm', 1, new Float32Array(1), 3);
    expect([ledger.get('a'), ledger.get('b')?.predictedAt, ledger.get('c')?.predictedAt]).toEqual([undefined, 1, 3]);
  });
});
