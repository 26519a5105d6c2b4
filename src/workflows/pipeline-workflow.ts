/**
 * `pipeline`: runs one ML pipeline spec as a DAG of activities. Input is one JSON object,
 * e.g. `{"pipeline":"flight-delay"}`, so the Temporal UI and CLI can start it directly.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type Duration } from '@temporalio/common';
import type { createActivities } from '../activities';
import type { StepSpec } from '../pipeline/spec-schema';
import { STEP_KINDS, type StepKindName } from '../pipeline/step-kinds';
import type { StepRequest, StepResult } from '../pipeline/types';
import { planCanary } from '../canary/canary-plan';
import { ApprovalGate } from './approval-gate';
import { canary, canaryWorkflowId } from './canary-workflow';
import { msFromDuration } from './durations';
import {
  approveUpdate,
  canaryProgressSignal,
  approveUpdateDescription,
  rejectUpdate,
  rejectUpdateDescription,
  statusQuery,
  statusQueryDescription,
} from './definitions';
import type { PipelineResult } from './pipeline-status';
import { PipelineRun } from './pipeline-run';
import { RESOLVE_OPTIONS, retryPolicy } from './presets';
import { modelKey, outcomeKey, pipelineKey, stageKey } from './search-attributes';
import { loadTaskQueues, onQueue } from './task-queues';
import type { TaskQueues } from '../topology/task-queues';

type Activities = ReturnType<typeof createActivities>;
type StepActivity = (req: StepRequest) => Promise<StepResult>;

const { resolvePipeline } = proxyActivities<Activities>(RESOLVE_OPTIONS);

export async function pipeline(input: unknown): Promise<PipelineResult> {
  const { workflowId, runId } = workflowInfo();
  const run = new PipelineRun(workflowId, runId);
  const gate = new ApprovalGate();
  setHandler(statusQuery, () => ({ ...run.status(), approval: gate.snapshot() }), { description: statusQueryDescription });
  setHandler(approveUpdate, (req) => gate.decide('approved', req, Date.now()), {
    validator: (req) => gate.validate(req),
    description: approveUpdateDescription,
  });
  setHandler(rejectUpdate, (req) => gate.decide('rejected', req, Date.now()), {
    validator: (req) => gate.validate(req),
    description: rejectUpdateDescription,
  });

  setHandler(canaryProgressSignal, (p) => run.progress(p.stepId, { canary: p }));

  const queues = await loadTaskQueues();
  const resolved = await resolvePipeline.executeWithOptions(RESOLVE_OPTIONS, [input]).catch(rethrowCause);
  run.begin(resolved);
  const spec = resolved.spec;
  upsertSearchAttributes([
    { key: modelKey, value: spec.model },
    { key: pipelineKey, value: spec.name },
  ]);
  log.info('pipeline resolved', { pipeline: spec.name, model: spec.model, specDigest: resolved.specDigest, source: resolved.source });

  let firstFailure: unknown;
  const running = new Map<string, Promise<void>>();
  for (;;) {
    for (const step of run.readySteps()) {
      if (run.runningCount() >= spec.maxParallel) break;
      run.started(step.id, Date.now());
      upsertSearchAttributes([{ key: stageKey, value: step.id }]);
      const done = withApproval(gate, step, run.request(step)).then((request) => runStep(step, request, queues)).then(
        (result) => run.succeeded(step.id, result, Date.now()),
        (err: unknown) => {
          firstFailure ??= err;
          run.failedStep(step.id, describeFailure(err), Date.now());
        },
      );
      running.set(step.id, done.finally(() => running.delete(step.id)));
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }

  const result = { ...run.finish(), approval: gate.snapshot() };
  upsertSearchAttributes([
    { key: stageKey, value: result.stage },
    { key: outcomeKey, value: result.outcome },
  ]);
  if (firstFailure !== undefined) rethrowCause(firstFailure);
  log.info('pipeline finished', { outcome: result.outcome });
  return result;
}

/**
 * A promote step in manual mode whose candidate was blessed waits here for the approve or
 * reject update (or the timeout and its documented default) before its activity runs.
 */
async function withApproval(gate: ApprovalGate, step: StepSpec, request: StepRequest): Promise<StepRequest> {
  if (step.kind !== 'promote' || step.with.mode !== 'manual') return request;
  const blessed = Object.values(request.inputs).some((o) => o?.summary && 'gates' in o.summary && o.summary.blessed === true);
  if (!blessed) return request;
  const timeoutMs = msFromDuration(String(step.with.approvalTimeout ?? '24 hours'));
  gate.open(step.id, Date.now(), timeoutMs, step.with.onTimeout === 'approve' ? 'approve' : 'reject');
  upsertSearchAttributes([{ key: stageKey, value: 'awaiting-approval' }]);
  log.info('promotion waits for approval', { step: step.id, timeoutMs });
  if (!(await condition(() => !gate.pending, timeoutMs))) gate.timeOut(Date.now());
  return { ...request, approval: gate.decision };
}

function runStep(step: StepSpec, request: StepRequest, queues: TaskQueues | undefined): Promise<StepResult> {
  const kind = STEP_KINDS[step.kind as StepKindName];
  if ('runsAs' in kind && kind.runsAs === 'workflow') return runCanary(request);
  const options = onQueue({
    // The spec schema only admits ms-style durations, which is what Duration's string form is.
    startToCloseTimeout: (step.timeout ?? kind.timeout) as Duration,
    heartbeatTimeout: 'heartbeatTimeout' in kind ? kind.heartbeatTimeout : undefined,
    retry: retryPolicy(step.retry),
    summary: `${step.id} (${step.kind})`,
  }, queues, kind.queue);
  const activity = proxyActivities<Record<string, StepActivity>>(options)[kind.activity];
  return activity.executeWithOptions(options, [request]);
}

/**
 * The canary step runs as the `canary-<model>` child workflow: its id serialises canaries of
 * one model, and it has its own status query, approve/reject updates and abort signal.
 */
async function runCanary(request: StepRequest): Promise<StepResult> {
  const plan = planCanary(request);
  if ('skip' in plan) return { artifacts: {}, summary: { canaryVerdict: 'skipped', reasons: [plan.skip] }, attempt: 1 };
  const workflowId = canaryWorkflowId(request.ctx.model);
  try {
    return await executeChild(canary, {
      workflowId,
      args: [plan.input],
      // Cancelling the pipeline asks the canary to roll back rather than killing it mid-shift.
      parentClosePolicy: 'REQUEST_CANCEL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `canary of ${request.ctx.model} v${plan.input.candidate} against v${plan.input.champion ?? 'none'}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw ApplicationFailure.create({
        type: 'CanaryBusy',
        message: `model "${request.ctx.model}" already has a canary running (workflow ${workflowId}); one canary per model at a time: wait for it to end or abort it, then re-run`,
        nonRetryable: true,
      });
    }
    if (err instanceof ChildWorkflowFailure && err.cause) throw err.cause;
    throw err;
  }
}

function describeFailure(err: unknown): { type?: string; message: string; attempts: number } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
  const attempts = cause instanceof ApplicationFailure && typeof cause.details?.[0] === 'object'
    ? Number((cause.details[0] as { attempt?: number }).attempt ?? 1)
    : 1;
  return { type, message: cause instanceof Error ? cause.message : String(err), attempts };
}

/**
 * Surfaces the activity's own failure (type and message) as the run's failure, so the UI
 * shows "InvalidPipelineInput: ..." rather than a generic "Activity task failed".
 */
function rethrowCause(err: unknown): never {
  if (isCancellation(err)) throw err;
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure) {
    throw ApplicationFailure.create({
      type: cause.type ?? 'StepFailed',
      message: cause.message,
      details: cause.details as unknown[] | undefined,
      nonRetryable: true,
      cause: err as Error,
    });
  }
  throw err;
}
