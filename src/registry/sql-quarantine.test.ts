import { expect, it } from 'vitest';
import { SqlAuditLog } from '../audit/sql-audit-log';
import { isRegistryError } from './registry-error';
import { artifact } from '../../test/support/registry-test-fixtures';
import { SqlQuarantine } from './sql-quarantine';
import { describeEachBackend, useTestStore } from '../../test/support/test-backends';

describeEachBackend('quarantined batches', (backend) => {
  const store = useTestStore(backend);
  const batch = (workflowId = 'wf-1') => ({
    model: 'churn',
    dataDigest: 'd1',
    workflowId,
    runId: 'r1',
    snapshots: { train: artifact('train'), holdout: artifact('holdout') },
    report: 'artifact://sha256/report',
    reportHtml: 'artifact://sha256/html',
    failed: ['labelConsistency(origin)'],
    findings: [{ check: 'labelConsistency', where: 'origin = ATL' }],
  });
  const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

  it('keeps a stopped batch once, refreshing its run while still quarantined, and audits it once', async () => {
    const db = await store().open();
    const q = new SqlQuarantine(db);
    await q.quarantine(batch('wf-1'));
    const again = await q.quarantine(batch('wf-2'));
    expect(again).toMatchObject({ state: 'quarantined', workflowId: 'wf-2', failed: ['labelConsistency(origin)'], decision: null });
    expect(await q.list({ model: 'churn' })).toHaveLength(1);
    expect(await new SqlAuditLog(db).list({ action: 'data.quarantine' })).toHaveLength(1);
  });

  it('releases with a reason, audited in the same transaction, and refuses a second decision', async () => {
    const db = await store().open();
    const q = new SqlQuarantine(db);
    await q.quarantine(batch());
    expect(isRegistryError(await errorOf(q.decide({ model: 'churn', dataDigest: 'd1', decision: 'release', actor: 'ann', reason: '  ' })), 'invalid-input')).toBe(true);
    const released = await q.decide({ model: 'churn', dataDigest: 'd1', decision: 'release', actor: 'ann', reason: 'checked with the source', origin: 'cli' });
    expect(released).toMatchObject({ state: 'released', decision: { by: 'ann', reason: 'checked with the source' } });
    const [entry] = await new SqlAuditLog(db).list({ action: 'data.release' });
    expect(entry).toMatchObject({ actor: 'ann', target: 'model:churn/batch:d1', origin: 'cli' });
    expect(isRegistryError(await errorOf(q.decide({ model: 'churn', dataDigest: 'd1', decision: 'discard', actor: 'root', reason: 'no' })), 'batch-decided')).toBe(true);
    // A later failure of the same batch does not undo the decision.
    expect(await q.quarantine(batch('wf-3'))).toMatchObject({ state: 'released', workflowId: 'wf-1' });
    expect(isRegistryError(await errorOf(q.decide({ model: 'churn', dataDigest: 'nope', decision: 'discard', actor: 'root', reason: 'x' })), 'unknown-batch')).toBe(true);
  });
});
