/**
 * Manual promotion: a blessed candidate waits for a human decision through the workflow's
 * `approve` / `reject` updates (the same ones the UI, CLI and API use), with a timeout whose
 * default is to reject.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../../src/client/slipway-client';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import type { Principal } from '../../src/auth/principal';
import { startHarness, TEST_SIGNING_KEY, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

const manual = (model: string, approvalTimeout = '10 minutes') => ({
  pipeline: 'flight-delay-builtin',
  model,
  overrides: { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } }, promote: { mode: 'manual', approvalTimeout } },
});

/** Approvers as the API authenticated them: the approver role and a grant on every model. */
const approver = (name: string): Principal => ({ name, roles: ['approver'], grants: [{ model: '*', alias: '*' }] });

describe('manual promotion', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let slipway: SlipwayClient;
  let registry: SqliteModelRegistry;

  beforeAll(async () => {
    env = await startDevServer();
    h = await startHarness(env);
    // Decisions are signed as the API and CLI sign them (docs/trust-boundary.md); the worker records the signer.
    slipway = new SlipwayClient(env.client, { taskQueue: h.config.taskQueue, signingKey: TEST_SIGNING_KEY });
    registry = new SqliteModelRegistry({ path: h.config.registryPath });
  });

  afterAll(async () => {
    await registry?.close();
    await h?.close();
    await env?.teardown();
  });

  /** The run's stage, model and outcome search attributes, as list filters see them. */
  const stageOf = async (workflowId: string) => {
    const { typedSearchAttributes } = await env.client.workflow.getHandle(workflowId).describe();
    const wanted = ['SlipwayStage', 'SlipwayModel', 'SlipwayOutcome'];
    return Object.fromEntries(typedSearchAttributes.getAll().filter((p) => wanted.includes(p.key.name)).map((p) => [p.key.name, p.value]));
  };

  const waitingForApproval = async (workflowId: string) => {
    await expect
      .poll(async () => (await slipway.getStatus(workflowId).catch(() => undefined))?.approval?.state, { timeout: 120_000, interval: 250 })
      .toBe('pending');
  };

  it('waits for approval, refuses a decision without a reason, then promotes with the approver recorded', async () => {
    const run = await slipway.startPipeline(manual('approve-me'), { idempotencyKey: 'approve-1' });
    await waitingForApproval(run.workflowId);
    expect(await registry.getAlias('approve-me', 'champion')).toBeUndefined();
    // The list filter and the UI show the wait: a lifecycle stage, and the step in the current details.
    const handle = env.client.workflow.getHandle(run.workflowId);
    expect(await stageOf(run.workflowId)).toEqual({ SlipwayStage: 'awaiting-approval', SlipwayModel: 'approve-me' });
    expect((await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails).toBe('running: promote');

    await expect(slipway.approve(run.workflowId, { approver: 'alice', reason: '' }, approver('alice'))).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    expect((await slipway.getStatus(run.workflowId)).approval?.state).toBe('pending');

    const state = await slipway.approve(run.workflowId, { approver: 'alice', reason: 'evaluation report reviewed' }, approver('alice'));
    expect(state).toMatchObject({ state: 'approved', decision: { approver: 'alice', reason: 'evaluation report reviewed' } });
    const result: PipelineResult = await slipway.result(run.workflowId);
    expect(result.outcome).toBe('promoted');
    expect(await stageOf(run.workflowId)).toEqual({ SlipwayStage: 'completed', SlipwayModel: 'approve-me', SlipwayOutcome: 'promoted' });
    const [move] = await registry.aliasHistory('approve-me', 'champion');
    expect(move).toMatchObject({ actor: 'alice', reason: 'approved by alice: evaluation report reviewed', toVersion: 1 });
    expect(move.evidence).toMatchObject({ approval: { decision: 'approved', approver: 'alice' } });
  }, 240_000);

  it('rejects on request and leaves the alias where it was', async () => {
    const run = await slipway.startPipeline(manual('reject-me'), { idempotencyKey: 'reject-1' });
    await waitingForApproval(run.workflowId);
    await slipway.reject(run.workflowId, { approver: 'bob', reason: 'latency budget not met' }, approver('bob'));
    const result: PipelineResult = await slipway.result(run.workflowId);
    expect(result.outcome).toBe('rejected');
    expect(result.outputs.promote.summary.reasons).toEqual(['rejected by bob: latency budget not met']);
    expect(await registry.getAlias('reject-me', 'champion')).toBeUndefined();
  }, 240_000);

  it('rejects by default when nobody decides before the timeout', async () => {
    const run = await slipway.startPipeline(manual('nobody-decides', '2s'), { idempotencyKey: 'timeout-1' });
    const result: PipelineResult = await slipway.result(run.workflowId);
    expect(result.outcome).toBe('rejected');
    expect(result.approval).toMatchObject({ state: 'rejected', decision: { approver: 'timeout' } });
    expect(await registry.getAlias('nobody-decides', 'champion')).toBeUndefined();
  }, 240_000);
});
