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
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../activities';
import type { StepSpec } from '../pipeline/spec-schema';
import { STEP_KINDS, type StepKindName } from '../pipeline/step-kinds';
import { allUpstreamOf } from '../pipeline/step-outputs';
import type { RecordedStepResult, StepRequest, StepResult } from '../pipeline/types';
import { planCanary } from '../canary/canary-plan';
import { ApprovalGate } from './approval-gate';
import { canary, canaryWorkflowId } from './canary-workflow';
import { toMs } from '../duration/duration';
import { ERROR_CODES } from '../error-codes';
import {
  approveUpdate,
  canaryProgressSignal,
  canaryProgressSignalDescription,
  approveUpdateDescription,
  rejectUpdate,
  rejectUpdateDescription,
  statusQuery,
  statusQueryDescription,
} from './definitions';
import type { PipelineResult } from './pipeline-status';
import { PipelineRun } from './pipeline-run';
import { RESOLVE_OPTIONS, retryPolicy } from './presets';
import { StageReporter } from './stage-reporter';
import { decisionHandler } from './verified-decisions';
import { loadTaskQueues, onQueue } from './task-queues';
import type { TaskQueues } from '../topology/task-queues';

type Activities = ReturnType<typeof createActivities>;
/** As recorded in the history: results from before outputs carried their kind have none (PipelineRun fills it in). */
type StepActivity = (req: StepRequest) => Promise<RecordedStepResult>;

const { resolvePipeline } = proxyActivities<Activities>(RESOLVE_OPTIONS);

/**
 * Runs from this patch on take the task-queue topology from resolvePipeline's answer (no local
 * activity) and report lifecycle stages rather than step ids (src/workflows/stage-reporter.ts).
 */
export const LEAN_RUN_PATCH = 'slipway-lean-run';

export async function pipeline(input: unknown): Promise<PipelineResult> {
  const { workflowId, runId } = workflowInfo();
  const run = new PipelineRun(workflowId, runId);
  const gate = new ApprovalGate();
  setHandler(statusQuery, () => ({ ...run.status(), approval: gate.snapshot() }), { description: statusQueryDescription });
  // The decision moves this run's model at the alias its promote step names (gate.open records it).
  const target = () => ({ model: run.pipelineSpec.model, alias: gate.snapshot()?.alias ?? 'champion' });
  setHandler(approveUpdate, decisionHandler(() => gate, 'approved', target), {
    validator: (req) => gate.validate(req),
    description: approveUpdateDescription,
  });
  setHandler(rejectUpdate, decisionHandler(() => gate, 'rejected', target), {
    validator: (req) => gate.validate(req),
    description: rejectUpdateDescription,
  });

  setHandler(canaryProgressSignal, (p) => run.progress(p.stepId, { canary: p }), { description: canaryProgressSignalDescription });

  const lean = patched(LEAN_RUN_PATCH);
  const legacyQueues = lean ? undefined : await loadTaskQueues();
  const resolved = await resolvePipeline.executeWithOptions(RESOLVE_OPTIONS, [input]).catch(rethrowCause);
  const queues = lean ? resolved.taskQueues : legacyQueues;
  const stage = new StageReporter(lean);
  run.begin(resolved);
  const spec = resolved.spec;
  stage.resolved(spec.model, spec.name);
  log.info('pipeline resolved', { pipeline: spec.name, model: spec.model, specDigest: resolved.specDigest, source: resolved.source });

  const { failure } = await runSteps({ run, gate, stage, queues, maxParallel: spec.maxParallel });

  const result = { ...run.finish(), approval: gate.snapshot() };
  stage.finished(result.stage === 'failed' ? 'failed' : 'completed', result.outcome);
  if (failure) rethrowCause(failure.error);
  log.info('pipeline finished', { outcome: result.outcome });
  return result;
}

interface StepsContext {
  run: PipelineRun;
  gate: ApprovalGate;
  stage: StageReporter;
  queues: TaskQueues | undefined;
  maxParallel: number;
}

/**
 * Starts every ready step (up to `maxParallel` at once) and, as each ends, the steps it made
 * ready, until none runs; resolves with the first failure. Callback-driven rather than a loop
 * over `Promise.race`: the SDK records a source-mapped stack trace for every promise workflow
 * code creates (for the stack-trace query), and that bookkeeping was the largest cost of a
 * no-op step in bench:load, so each step costs one promise besides its activity's.
 * Command order per batch, which replay depends on: each step's start (and, for a step awaiting
 * approval, its wait), then the activities in spec order.
 */
function runSteps(ctx: StepsContext): Promise<{ failure?: { error: unknown } }> {
  const { run } = ctx;
  let failure: { error: unknown } | undefined;
  return new Promise((resolve) => {
    const ended = (): void => {
      startReady();
      if (run.runningCount() === 0) resolve({ failure });
    };
    const fail = (step: StepSpec, err: unknown): void => {
      failure ??= { error: err };
      run.failedStep(step.id, describeFailure(err), Date.now());
      ended();
    };
    const execute = (step: StepSpec, request: StepRequest): void => {
      let pending: Promise<RecordedStepResult>;
      try {
        pending = runStep(step, request, ctx.queues, ctx.stage);
      } catch (err) {
        // A step that cannot even be scheduled (e.g. options the SDK refuses) fails like any other.
        pending = Promise.reject(err);
      }
      void pending.then(
        (result) => {
          run.succeeded(step.id, result, Date.now());
          ended();
        },
        (err: unknown) => fail(step, err),
      );
    };
    const startReady = (): void => {
      const now: Array<{ step: StepSpec; request: StepRequest }> = [];
      for (const step of run.readySteps()) {
        if (run.runningCount() >= ctx.maxParallel) break;
        run.started(step.id, Date.now());
        ctx.stage.stepStarted(step.id, run.runningStepIds());
        const request = run.request(step);
        const approval = awaitApproval(ctx.gate, ctx.stage, step, request);
        // A cancellation while the step waits for approval ends the run as cancelled (an unhandled
        // rejection would instead fail every workflow task and leave the run stuck).
        if (approval) void approval.then((approved) => execute(step, approved), (err: unknown) => fail(step, err));
        else now.push({ step, request });
      }
      for (const { step, request } of now) execute(step, request);
    };
    ended();
  });
}

/**
 * A promote step in manual mode whose candidate was blessed waits for the approve or reject
 * update (or the timeout and its documented default) before its activity runs; undefined: no wait.
 */
function awaitApproval(gate: ApprovalGate, stage: StageReporter, step: StepSpec, request: StepRequest): Promise<StepRequest> | undefined {
  if (step.kind !== 'promote' || step.with.mode !== 'manual') return undefined;
  const blessed = allUpstreamOf(request.inputs, 'evaluate').some((e) => e.summary.blessed === true);
  if (!blessed) return undefined;
  const timeoutMs = toMs(String(step.with.approvalTimeout ?? '24 hours'));
  gate.open(step.id, Date.now(), timeoutMs, step.with.onTimeout === 'approve' ? 'approve' : 'reject', String(step.with.alias ?? 'champion'));
  stage.lifecycle('awaiting-approval');
  log.info('promotion waits for approval', { step: step.id, timeoutMs });
  return condition(() => !gate.pending, timeoutMs).then((decided) => {
    if (!decided) gate.timeOut(Date.now());
    stage.lifecycle('running');
    return { ...request, approval: gate.decision };
  });
}

function runStep(step: StepSpec, request: StepRequest, queues: TaskQueues | undefined, stage: StageReporter): Promise<RecordedStepResult> {
  const kind = STEP_KINDS[step.kind as StepKindName];
  if ('runsAs' in kind && kind.runsAs === 'workflow') return runCanary(request, stage);
  const options = onQueue({
    startToCloseTimeout: toMs(step.timeout ?? kind.timeout),
    heartbeatTimeout: 'heartbeatTimeout' in kind ? toMs(kind.heartbeatTimeout) : undefined,
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
async function runCanary(request: StepRequest, stage: StageReporter): Promise<RecordedStepResult> {
  const plan = planCanary(request);
  if ('skip' in plan) {
    const skipped: StepResult<'canary'> = { kind: 'canary', artifacts: {}, summary: { canaryVerdict: 'skipped', reasons: [plan.skip] }, attempt: 1 };
    return skipped;
  }
  const workflowId = canaryWorkflowId(request.ctx.model);
  stage.lifecycle('canary');
  try {
    const result = await executeChild(canary, {
      workflowId,
      args: [plan.input],
      // Cancelling the pipeline asks the canary to roll back rather than killing it mid-shift.
      parentClosePolicy: 'REQUEST_CANCEL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `canary of ${request.ctx.model} v${plan.input.candidate} against v${plan.input.champion ?? 'none'}`,
    });
    stage.lifecycle('running');
    return result;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw ApplicationFailure.create({
        type: ERROR_CODES.CanaryBusy,
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
      type: cause.type ?? ERROR_CODES.StepFailed,
      message: cause.message,
      details: cause.details as unknown[] | undefined,
      nonRetryable: true,
      cause: err as Error,
    });
  }
  throw err;
}
