import { expect, it } from 'vitest';
import { AuditError } from '../errors';
import { describeEachBackend, useTestStore } from '../../test/support/test-backends';
import type { AuditEntryInput } from './audit-log';
import { SqlAuditLog } from './sql-audit-log';

const entry = (overrides: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
  actor: 'alice',
  action: 'run.start',
  target: 'run:wf-1',
  reason: 'nightly retrain',
  origin: 'api 10.0.0.7',
  details: { pipeline: 'churn-daily' },
  ...overrides,
});

describeEachBackend('audit log', (backend) => {
  const store = useTestStore(backend);

  async function openLog(): Promise<SqlAuditLog> {
    let tick = 0;
    return new SqlAuditLog(await store().open(), { now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)) });
  }

  /** Appends five entries about two targets. */
  async function fiveEntries(log: SqlAuditLog): Promise<void> {
    for (let i = 1; i <= 5; i++) await log.append(entry({ target: `run:wf-${i % 2}`, reason: `r${i}` }));
  }

  it('records actor, time, action, target, reason, origin and details, numbered and chained', async () => {
    const log = await openLog();
    const first = await log.append(entry());
    const second = await log.append(entry({ action: 'run.cancel', actor: 'bob', reason: undefined, origin: undefined, details: undefined }));

    expect(first).toEqual({
      seq: 1,
      at: '2025-01-01T00:00:00.000Z',
      actor: 'alice',
      action: 'run.start',
      target: 'run:wf-1',
      reason: 'nightly retrain',
      origin: 'api 10.0.0.7',
      details: { pipeline: 'churn-daily' },
      prevHash: '0'.repeat(64),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(second).toMatchObject({ seq: 2, reason: '', origin: 'unspecified', details: {}, prevHash: first.hash });
    expect(await log.head()).toEqual({ seq: 2, hash: second.hash });
    expect(await log.list()).toEqual([first, second]);
  });

  it('filters by actor, action, exact target and target prefix, and pages', async () => {
    const log = await openLog();
    await fiveEntries(log);
    await log.append(entry({ actor: 'bob', action: 'model.promote', target: 'model:churn@champion' }));
    await log.append(entry({ target: 'model:churn_x@champion' }));

    expect((await log.list({ actor: 'bob' })).map((e) => e.seq)).toEqual([6]);
    expect((await log.list({ action: 'model.promote' })).map((e) => e.seq)).toEqual([6]);
    expect((await log.list({ target: 'run:wf-1' })).map((e) => e.seq)).toEqual([1, 3, 5]);
    expect((await log.list({ targetPrefix: 'model:churn@' })).map((e) => e.seq)).toEqual([6]);
    expect((await log.list({ afterSeq: 2, limit: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    expect((await log.list({ newestFirst: true, limit: 3 })).map((e) => e.seq)).toEqual([7, 6, 5]);
    expect((await log.list({ newestFirst: true, beforeSeq: 5, limit: 2 })).map((e) => e.seq)).toEqual([4, 3]);
  });

  it.each([
    ['an empty actor', { actor: ' ' }, 'actor'],
    ['an action that is not noun.verb', { action: 'promote' as AuditEntryInput['action'] }, 'action'],
    ['an empty target', { target: '' }, 'target'],
    ['details that are not an object', { details: [1] as unknown as Record<string, unknown> }, 'details'],
  ])('rejects %s and writes nothing', async (_label, overrides, field) => {
    const log = await openLog();
    const err = await log.append(entry(overrides)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).details.field).toBe(field);
    expect(await log.head()).toEqual({ seq: 0, hash: '0'.repeat(64) });
  });

  it('verifies an intact log', async () => {
    const log = await openLog();
    expect(await log.verify()).toMatchObject({ ok: true, checked: 0 });
    await fiveEntries(log);
    expect(await log.verify()).toEqual({ ok: true, checked: 5, head: await log.head() });
  });

  it('refuses UPDATE and DELETE on entries while its guard is in place', async () => {
    const log = await openLog();
    await fiveEntries(log);
    await expect(store().raw("UPDATE audit_log SET reason = 'x' WHERE seq = 2")).rejects.toThrow(/append-only/);
    await expect(store().raw('DELETE FROM audit_log WHERE seq = 5')).rejects.toThrow(/append-only/);
    expect((await log.verify()).ok).toBe(true);
  });

  it('detects a row edited directly in the database, naming its index', async () => {
    const log = await openLog();
    await fiveEntries(log);
    await store().dropAppendOnlyGuard('audit_log');
    await store().raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");

    const report = await log.verify();
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({ index: 2, seq: 3, kind: 'edited' });
    expect(report.problem?.message).toContain('audit entry 3 was edited');
  });

  it('detects edited details even when the JSON stays valid', async () => {
    const log = await openLog();
    await fiveEntries(log);
    await store().dropAppendOnlyGuard('audit_log');
    await store().raw(`UPDATE audit_log SET details = '{"pipeline":"other"}' WHERE seq = 1`);
    expect((await log.verify()).problem).toMatchObject({ index: 0, kind: 'edited' });
  });

  it('detects a row deleted from the middle', async () => {
    const log = await openLog();
    await fiveEntries(log);
    await store().dropAppendOnlyGuard('audit_log');
    await store().raw('DELETE FROM audit_log WHERE seq = 2');
    expect((await log.verify()).problem).toMatchObject({ index: 1, seq: 3, kind: 'missing' });
  });

  it('detects the newest rows deleted, from the head kept beside the log', async () => {
    const log = await openLog();
    await fiveEntries(log);
    await store().dropAppendOnlyGuard('audit_log');
    await store().raw('DELETE FROM audit_log WHERE seq >= 4');
    expect((await log.verify()).problem).toMatchObject({ index: 3, kind: 'truncated' });
  });

  it('detects a log rewritten with its head, against a head recorded elsewhere', async () => {
    const log = await openLog();
    await fiveEntries(log);
    const recorded = await log.head();
    await store().dropAppendOnlyGuard('audit_log');
    // The attacker deletes the last two entries and rewinds the head to match.
    const third = (await log.list({ afterSeq: 2, limit: 1 }))[0];
    await store().raw('DELETE FROM audit_log WHERE seq >= 4');
    await store().raw('UPDATE audit_head SET seq = 3, hash = ? WHERE id = 1', [third.hash]);

    expect((await log.verify()).ok).toBe(true); // consistent on its own...
    expect((await log.verify(recorded)).problem).toMatchObject({ index: 3, kind: 'truncated' }); // ...but not with the recorded head
  });

  it('keeps one gapless chain when many writers append at once', async () => {
    const logs = await Promise.all(Array.from({ length: 5 }, () => openLog()));
    await Promise.all(logs.flatMap((log, w) => Array.from({ length: 10 }, (_, i) => log.append(entry({ actor: `w${w}`, reason: `n${i}` })))));
    const report = await logs[0].verify();
    expect(report).toMatchObject({ ok: true, checked: 50 });
    expect((await logs[0].list({ limit: 1000 })).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
