/**
 * Attack on the audit trail: an action on Temporal whose audit entry is lost because the entry
 * was written after the call (issue 13, item 7). Actions are now audited write-ahead: an intent
 * entry before the Temporal call, an outcome entry after it linked by `details.intentSeq`, and a
 * failed call (Temporal unreachable, an update the workflow refuses) records a failed outcome. A request
 * refused before the call (scope and grant checks) writes nothing. The chain stays verifiable throughout.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { buildApi } from '../../src/api/server';
import type { AuditEntry } from '../../src/audit/audit-log';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient, workflowIdFor } from '../../src/client/slipway-client';
import { startStack, type Stack } from './support/trust-input-stack';

const SMALL = { pipeline: 'flight-delay-builtin', overrides: { ingest: { window: { from: '2001-03-01', to: '2001-03-03' } } } };

describe('attack: an action on Temporal that escapes the audit log', () => {
  let s: Stack;

  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Entries appended since `afterSeq`, oldest first. */
  const since = (afterSeq: number) => s.governance.audit.list({ afterSeq, limit: 100 });

  it('writes the intent before starting a run and a linked outcome after it', async () => {
    const { seq } = await s.governance.audit.head();
    const res = await s.call('POST', '/v1/runs', { input: SMALL, idempotencyKey: 'wa-start' });
    expect(res.status).toBe(201);
    const [intent, outcome, ...rest] = await since(seq);
    expect(rest).toEqual([]);
    const workflowId = workflowIdFor(SMALL, 'wa-start');
    expect(intent).toMatchObject({ actor: 'root', action: 'run.start', target: `run:${workflowId}`, details: { phase: 'intent', workflowType: 'pipeline', input: SMALL } });
    expect(outcome).toMatchObject({
      actor: 'root',
      action: 'run.start',
      target: `run:${workflowId}`,
      details: { phase: 'outcome', intentSeq: intent.seq, outcome: 'succeeded', runId: res.body.runId, created: true },
    });
    await s.slipway.cancel(workflowId);
  });

  it('records the failed outcome of a call Temporal refuses (rejecting a run that waits for no decision), linked to its intent', async () => {
    const run = await s.slipway.startPipeline(SMALL, { idempotencyKey: 'wa-refused' });
    try {
      const { seq } = await s.governance.audit.head();
      const res = await s.call('POST', `/v1/runs/${run.workflowId}/reject`, { reason: 'probe' });
      expect(res.status).toBe(409);
      const [intent, outcome, ...rest] = await since(seq);
      expect(rest).toEqual([]);
      expect(intent).toMatchObject({ action: 'run.reject', target: `run:${run.workflowId}`, reason: 'probe', details: { phase: 'intent' } });
      expect(outcome.details).toMatchObject({ phase: 'outcome', intentSeq: intent.seq, outcome: 'failed', error: expect.stringMatching(/WorkflowUpdateFailedError/) });
    } finally {
      await s.slipway.cancel(run.workflowId);
    }
  });

  it('writes nothing for a cancel refused before Temporal is called (no such pipeline run: the scope check comes first)', async () => {
    const { seq } = await s.governance.audit.head();
    const res = await s.call('POST', '/v1/runs/no-such-run/cancel', { reason: 'probe' });
    expect(res.status).toBe(404);
    expect(await since(seq)).toEqual([]);
  });

  it('keeps the intent when Temporal is unreachable, with a failed outcome linked to it, and starts nothing', async () => {
    // The same registry and audit log, but a Temporal address nothing listens on, and no gRPC retries.
    const connection = await Connection.connect({ address: '127.0.0.1:1', interceptors: [], connectTimeout: 2000 }).catch(() => undefined);
    const unreachable = new Client({ connection: connection ?? Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
    const api = await buildApi({
      slipway: new SlipwayClient(unreachable, { taskQueue: s.h.config.taskQueue, uiUrl: 'http://localhost:8233' }),
      schedules: new PipelineSchedules(unreachable, s.h.config.taskQueue),
      registry: s.governance.registry,
      access: s.governance.access,
      audit: s.governance.audit,
      taskQueue: s.h.config.taskQueue,
      pipelinesDir: s.h.config.pipelinesDir,
      authenticator: apiAuthenticator(s.governance.access),
    });
    const base = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { seq } = await s.governance.audit.head();
      const res = await fetch(`${base}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: SMALL, idempotencyKey: 'wa-down' }),
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      const entries: AuditEntry[] = await since(seq);
      const workflowId = workflowIdFor(SMALL, 'wa-down');
      expect(entries.map((e) => [e.action, e.target, e.details.phase, e.details.outcome])).toEqual([
        ['run.start', `run:${workflowId}`, 'intent', undefined],
        ['run.start', `run:${workflowId}`, 'outcome', 'failed'],
      ]);
      expect(entries[1].details.intentSeq).toBe(entries[0].seq);
      expect(await s.noWorkflow(workflowId)).toBe(true);
    } finally {
      await api.close();
      await unreachable.connection.close().catch(() => undefined);
    }
  });

  it('keeps the chain verifiable', async () => {
    expect(await s.governance.audit.verify()).toMatchObject({ ok: true });
  });
});
