/**
 * Which runs the API and the console may act on, and who may: one set of rules for
 * `POST /v1/runs/:id/{approve,reject,cancel}` and the console's forms for the same actions.
 * Only pipeline runs of this API's task queue are decided or cancelled there (rollbacks and
 * canaries have their own routes); a decision needs a grant at the alias the waiting promote step
 * moves; a schedule's run belongs to the schedule's owner, so only admins cancel it.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { authorize } from '../auth/authorize';
import type { Principal, Resource } from '../auth/principal';
import type { SlipwayClient } from '../client/slipway-client';
import { PermissionDeniedError } from '../errors';

/** 404: the id names no pipeline run this API may act on (fastify answers with `statusCode`). */
export class RunNotFoundError extends Error {
  override readonly name = 'Not Found';
  readonly statusCode = 404;
  constructor(message: string, readonly details: { workflowId: string }) {
    super(message);
  }
}

/** What the scope checks read of a run. */
export type PipelineRunDescription = NonNullable<Awaited<ReturnType<SlipwayClient['describeRun']>>>;

/** @throws RunNotFoundError unless `workflowId` is a pipeline run on this API's task queue. */
export async function pipelineRun(slipway: SlipwayClient, workflowId: string): Promise<PipelineRunDescription> {
  const run = await slipway.describeRun(workflowId);
  if (!run || run.type !== 'pipeline' || run.taskQueue !== slipway.taskQueue) {
    throw new RunNotFoundError(
      `no pipeline run "${workflowId}": only pipeline runs can be cancelled, approved or rejected here (rollbacks and canaries have their own routes)`,
      { workflowId },
    );
  }
  return run;
}

/**
 * The grant an approval or rejection needs: approving promotes and rejecting keeps a candidate
 * out, so both need a grant on the model at the alias the waiting promote step moves. Runs from
 * before the gate recorded its alias leave it undefined: only a grant on every alias covers them.
 * @throws RunNotFoundError as {@link pipelineRun}
 */
export async function decisionResource(slipway: SlipwayClient, workflowId: string): Promise<Resource> {
  await pipelineRun(slipway, workflowId);
  const status = await slipway.getStatus(workflowId);
  return { model: status.model, alias: status.approval?.alias };
}

/**
 * Checks that `principal` may cancel `run`, returning it: a schedule's run belongs to the
 * schedule's owner, so cancelling one takes `schedule.manage` (admins), not just `run.cancel`.
 * @throws RunNotFoundError as {@link pipelineRun}; PermissionDeniedError for a scheduled run without `schedule.manage`
 */
export async function cancellableRun(slipway: SlipwayClient, principal: Principal | undefined, workflowId: string): Promise<PipelineRunDescription> {
  const run = await pipelineRun(slipway, workflowId);
  if (run.scheduled) authorize(principal, 'schedule.manage');
  return run;
}

/** A decision the workflow refused because the worker could not verify it is a 403, not a 500. */
export function updateRefusal(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && ['PermissionDenied', 'UnverifiableIdentity'].includes(err.cause.type ?? '')) {
    throw new PermissionDeniedError(err.cause.message);
  }
  throw err;
}
