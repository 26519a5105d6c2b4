/**
 * A pipeline's manual promotion, against typed mock activities on the time-skipping test server,
 * with the production default approval timeout (24 hours, promoteParamsSchema): the default decision
 * when nobody answers, an answer before the deadline, and cancellation while waiting.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import { devPrincipal } from '../../src/auth/run-authority';
import { resolvePipelineInput } from '../../src/pipeline/resolve-pipeline-input';
import type { StepRequest } from '../../src/pipeline/types';
import { approveUpdate, statusQuery } from '../../src/workflows/definitions';
import { pipeline } from '../../src/workflows';
import { between, HOUR, ok, useWorkflowTier, waitFor } from './workflow-tier';

const tier = useWorkflowTier('pipeline-approval');

/** A manual promotion after a blessed evaluation; `promote` records the request it gets. */
function promotionRun(promote: Record<string, unknown> = {}) {
  const promoted: StepRequest[] = [];
  const activities: Partial<Activities> = {
    resolvePipeline: (input: unknown) => resolvePipelineInput({ pipelinesDir: 'pipelines' }, input, { principal: devPrincipal('dev:local'), via: 'dev' }),
    evaluate: async () => ok({ gates: [], blessed: true }),
    promote: async (req: StepRequest) => {
      promoted.push(req);
      return ok({ outcome: req.approval?.decision === 'approved' ? 'promoted' : 'rejected' });
    },
  };
  const input = {
    spec: {
      name: 'workflow-rules',
      model: 'workflow-rules',
      steps: [
        { id: 'evaluate', kind: 'evaluate' },
        { id: 'promote', kind: 'promote', dependsOn: ['evaluate'], with: { mode: 'manual', ...promote } },
      ],
    },
  };
  return { activities, input, promoted };
}

describe('pipeline: manual promotion', () => {
  it('rejects a promotion nobody answered within the default 24 hours, and promote hears it', async () => {
    const { activities, input, promoted } = promotionRun();
    const result = await tier.withWorker(activities, (taskQueue) => tier.client.workflow.execute(pipeline, { taskQueue, workflowId: tier.id('timeout'), args: [input] }));
    const approval = result.approval!;
    expect(approval).toMatchObject({ stepId: 'promote', state: 'rejected', onTimeout: 'reject', decision: { decision: 'rejected', approver: 'timeout' } });
    // The deadline is the schema's default, and the default decision came when it passed, not before.
    expect(between(approval.requestedAt, approval.deadline)).toBe(24 * HOUR);
    expect(between(approval.deadline, approval.decision!.at)).toBeGreaterThanOrEqual(0);
    expect(between(approval.deadline, approval.decision!.at)).toBeLessThan(HOUR);
    expect(promoted).toHaveLength(1);
    expect(promoted[0].approval).toMatchObject({ decision: 'rejected', approver: 'timeout' });
  });

  it('approves by the timeout when onTimeout says so', async () => {
    const { activities, input, promoted } = promotionRun({ approvalTimeout: '7 days', onTimeout: 'approve' });
    const result = await tier.withWorker(activities, (taskQueue) => tier.client.workflow.execute(pipeline, { taskQueue, workflowId: tier.id('timeout-approve'), args: [input] }));
    expect(result.approval).toMatchObject({ state: 'approved', decision: { decision: 'approved', approver: 'timeout' } });
    expect(between(result.approval!.requestedAt, result.approval!.decision!.at)).toBeGreaterThanOrEqual(7 * 24 * HOUR);
    expect(promoted.map((p) => p.approval?.decision)).toEqual(['approved']);
  });

  it('promotes on an approval that comes before the deadline, and the deadline no longer matters', async () => {
    const { activities, input, promoted } = promotionRun();
    const result = await tier.withWorker(activities, async (taskQueue) => {
      const handle = await tier.client.workflow.start(pipeline, { taskQueue, workflowId: tier.id('approve'), args: [input] });
      await waitFor(async () => (await handle.query(statusQuery)).approval?.state === 'pending');
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', reason: 'reviewed the evaluation report' }] });
      return handle.result();
    });
    // Unsigned, so the worker records the dev principal, not the name the update claims (docs/trust-boundary.md).
    expect(result.approval).toMatchObject({ state: 'approved', decision: { decision: 'approved', approver: 'dev:local', reason: 'reviewed the evaluation report' } });
    expect(between(result.approval!.requestedAt, result.approval!.decision!.at)).toBeLessThan(HOUR);
    expect(promoted.map((p) => p.approval?.decision)).toEqual(['approved']);
  });

  it('ends as cancelled when cancelled while waiting for approval, and never promotes', async () => {
    const { activities, input, promoted } = promotionRun();
    const failure = await tier.withWorker(activities, async (taskQueue) => {
      const handle = await tier.client.workflow.start(pipeline, { taskQueue, workflowId: tier.id('cancel'), args: [input] });
      await waitFor(async () => (await handle.query(statusQuery)).approval?.state === 'pending');
      await handle.cancel();
      // Waiting on the result lets time skip: a cancellation the workflow ignored would reach the deadline and promote.
      return handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(promoted).toHaveLength(0);
  });
});
