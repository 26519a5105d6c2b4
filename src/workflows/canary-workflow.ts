/**
 * `canary`: moves live traffic to a candidate version in steps (e.g. 10 → 25 → 50 → 100 %),
 * holds each step, and analyses canary against champion: error rate, p99 latency,
 * prediction-score shift (PSI) and live AUC/accuracy from feedback.
 *
 * - fail → rollback at once (canary weight 0; the champion alias is never touched here);
 * - inconclusive (too little traffic, no labels, a server restart) → waits for the
 *   `approve` or `reject` update, with a timeout whose default is rollback;
 * - `abort` signal or cancellation → rollback.
 *
 * Its id is `canary-<model>`, so a second canary of the same model cannot start while one
 * runs. It never moves the alias: the pipeline's promote step does, after a `passed` verdict.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  getExternalWorkflowHandle,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createCanaryActivities } from '../activities/canary';
import type { StepMeasurement } from '../canary/analysis';
import { holdPlan } from '../canary/sequential-hold';
import type { CanaryInput, CanaryStatus, CanaryVerdict, ParsedCanaryInput } from '../canary/canary-state';
import type { StepResult } from '../pipeline/types';
import { ApprovalGate } from './approval-gate';
import { CanaryRun, type CanaryAction } from './canary-run';
import {
  abortSignal,
  abortSignalDescription,
  approveUpdate,
  canaryProgressSignal,
  canaryApproveDescription,
  canaryRejectDescription,
  canaryStatusQuery,
  canaryStatusQueryDescription,
  rejectUpdate,
  type AbortRequest,
} from './definitions';
import { toMs } from '../duration/duration';
import { ERROR_CODES } from '../error-codes';
import { decisionHandler, verifyDecisionMaker, VERIFIED_DECISIONS_PATCH } from './verified-decisions';
import { MEASURE_OPTIONS, PARSE_CANARY_INPUT_OPTIONS, REPORT_OPTIONS, ROLLBACK_TRAFFIC_OPTIONS, TRAFFIC_OPTIONS } from './presets';
import { loadTaskQueues, onQueue } from './task-queues';
import type { TaskQueues } from '../topology/task-queues';

type CanaryActivities = ReturnType<typeof createCanaryActivities>;

/** The canary's activities, on the deployment queue when the run has a topology. */
function canaryActivities(queues: TaskQueues | undefined) {
  const on = (o: ActivityOptions) => proxyActivities<CanaryActivities>(onQueue(o, queues, 'deployment'));
  return {
    canarySetTraffic: on(TRAFFIC_OPTIONS).canarySetTraffic,
    canaryMeasure: on(MEASURE_OPTIONS).canaryMeasure,
    canaryWriteReport: on(REPORT_OPTIONS).canaryWriteReport,
    rollbackTraffic: on(ROLLBACK_TRAFFIC_OPTIONS).canarySetTraffic,
  };
}

const { parseCanaryInput } = proxyLocalActivities<CanaryActivities>(PARSE_CANARY_INPUT_OPTIONS);

/** Score shift is judged only against champion scores from the same interval (src/canary/ARCHITECTURE.md). */
const CONCURRENT_SCORE_SHIFT_PATCH = 'canary-concurrent-score-shift';
const TASK_CHECKS_PATCH = 'canary-task-checks';
/** A binary score shift below `maxPsiWithoutLabels` waits for live AUC instead of failing (sequential holds). */
const SHIFT_AWAITS_QUALITY_PATCH = 'canary-shift-awaits-quality';
/** A sequential step followed by a 100% step waits for live-quality labels, as the last step does. */
const LABELS_BEFORE_FULL_TRAFFIC_PATCH = 'canary-labels-before-full-traffic';
/** A binary canary's live log loss is judged too (src/canary/calibration-check.ts). */
const BINARY_LOG_LOSS_PATCH = 'canary-binary-log-loss';
/** The shadow phase judges live quality on rows both versions scored (src/canary/paired-checks.ts). */
const PAIRED_SHADOW_PATCH = 'canary-paired-shadow';
/** A sequential check passes only while its estimate lies within the margin (src/canary/sequential-hold.ts). */
const PASS_WITHIN_MARGIN_PATCH = 'canary-pass-within-margin';
/** A shadow phase before the first traffic step when the params ask for one (src/canary/ARCHITECTURE.md). */
const SHADOW_PATCH = 'canary-shadow';

/** The workflow id of a model's canary: one at a time per model. */
export const canaryWorkflowId = (model: string): string => `canary-${model}`;

const NO_DECISION_PENDING = 'no canary decision is pending: decisions are asked for only when an analysis is inconclusive';

export async function canary(rawInput: CanaryInput): Promise<StepResult<'canary'>> {
  // Handlers first: a query, decision or abort that arrives while the input is still being
  // checked must find them (an update without a handler would be rejected outright).
  let run: CanaryRun | undefined;
  let earlyAbort: { by: string; reason: string } | undefined;
  let gate = new ApprovalGate(NO_DECISION_PENDING);
  setHandler(canaryStatusQuery, () => ({ ...(run?.state.status() ?? startingStatus(rawInput)), decision: gate.snapshot() }), { description: canaryStatusQueryDescription });
  // A canary shifts the champion's traffic: deciding it needs the grant on the model's champion.
  const target = () => ({ model: String(rawInput?.model ?? ''), alias: 'champion' });
  setHandler(approveUpdate, decisionHandler(() => gate, 'approved', target), { validator: (req) => gate.validate(req), description: canaryApproveDescription });
  setHandler(rejectUpdate, decisionHandler(() => gate, 'rejected', target), { validator: (req) => gate.validate(req), description: canaryRejectDescription });
  setHandler(abortSignal, async (req) => {
    let by = String(req?.by ?? 'unknown');
    if (patched(VERIFIED_DECISIONS_PATCH)) {
      // A signal cannot answer with an error: an unverifiable abort is logged and ignored.
      const verified = await verifyDecisionMaker('abort', req?.token, req?.by, target()).catch((err: unknown) => {
        log.warn('abort refused: the sender is not verifiable', { error: String((err as Error)?.message ?? err) });
        return undefined;
      });
      if (!verified) return;
      by = verified.principal;
    }
    const reason = String(req?.reason ?? 'no reason given');
    if (run) run.abort(by, reason);
    else earlyAbort ??= { by, reason };
  }, { description: abortSignalDescription });

  const { canarySetTraffic, canaryMeasure, canaryWriteReport, rollbackTraffic } = canaryActivities(await loadTaskQueues());
  const input = await parseInput(rawInput);
  const current = new CanaryRun(input, Date.now());
  run = current;
  if (earlyAbort) current.abort(earlyAbort.by, earlyAbort.reason);
  const { state } = current;

  const { model, candidate, champion, params } = input;
  // The pipeline that started this canary shows its progress in its own status query.
  const report = () => {
    if (!input.origin) return;
    const summary = state.summary(workflowInfo().workflowId);
    const progress = { stepId: input.origin.stepId, workflowId: workflowInfo().workflowId, stage: state.status().stage, weight: summary.weight, steps: summary.steps, reasons: summary.reasons };
    getExternalWorkflowHandle(input.origin.workflowId, input.origin.runId)
      .signal(canaryProgressSignal, progress)
      .catch((err: unknown) => log.warn('could not report canary progress to the pipeline', { error: String(err) }));
  };
  const finish = async (verdict: CanaryVerdict, reasons: string[]): Promise<StepResult<'canary'>> => {
    state.finish(verdict, reasons, Date.now());
    log.info('canary finished', { model, candidate, verdict, reasons });
    const report = await CancellationScope.nonCancellable(() => canaryWriteReport(state.report()));
    return { kind: 'canary', artifacts: { canaryReport: report }, summary: { ...state.summary(workflowInfo().workflowId), report: report.uri }, attempt: 1 };
  };
  const rollBack = async (verdict: CanaryVerdict, reasons: string[]): Promise<StepResult<'canary'>> => {
    state.setStage('rolling-back');
    log.warn('canary rolls back', { model, candidate, reasons });
    await CancellationScope.nonCancellable(() => rollbackTraffic({ model, champion: champion!, candidate, weight: 0 }));
    state.rolledBack(0);
    return finish(verdict, reasons);
  };
  const end = (action: Extract<CanaryAction, { type: 'roll-back' | 'finish' }>) =>
    action.type === 'roll-back' ? rollBack(action.verdict, action.reasons) : finish(action.verdict, action.reasons);

  /** One traffic step: set the weight, hold and look until the step is decided (or aborted). */
  const shift = async ({ step, weight, shadow }: Extract<CanaryAction, { type: 'shift' }>): Promise<CanaryAction> => {
    let applied;
    try {
      applied = await canarySetTraffic({ model, champion: champion!, candidate, weight, ...(shadow && { shadow }) });
    } catch (err) {
      if (isCancellation(err)) throw err;
      return current.trafficRefused(failureMessage(err));
    }
    // Canaries recorded before this rule judged the last step's score shift against the previous step's champion.
    // Canaries recorded before per-task checks judged every model as binary.
    current.stepStarted(Date.now(), applied.serverStartedAt, {
      concurrentScoreShift: patched(CONCURRENT_SCORE_SHIFT_PATCH),
      taskChecks: patched(TASK_CHECKS_PATCH),
      shiftAwaitsQuality: patched(SHIFT_AWAITS_QUALITY_PATCH),
      labelsBeforeFullTraffic: patched(LABELS_BEFORE_FULL_TRAFFIC_PATCH),
      binaryLogLoss: patched(BINARY_LOG_LOSS_PATCH),
      pairedShadow: patched(PAIRED_SHADOW_PATCH),
      passWithinMargin: patched(PASS_WITHIN_MARGIN_PATCH),
    });
    report();
    // Histories recorded before sequential holds have no `hold` and keep their single analysis.
    current.holdWith(shadow ? current.shadowPlan() : params.hold?.mode === 'sequential' && patched('canary-sequential-hold') ? sequentialPlan(params) : undefined);
    for (;;) {
      const waitMs = current.waitMs(Date.now());
      log.info('canary step holds', { step, weight, holdMs: waitMs, look: current.looks + 1 });
      if (await condition(() => current.aborted, waitMs)) return current.abortedWhileWaiting();
      state.setStage('analysing');
      const analysis = current.looked(await measure(canaryMeasure, model, champion!, candidate, current.stepStartedAtMs, state.startedAtMs), Date.now());
      if (!analysis) continue;
      log.info('canary step analysed', { step, weight, verdict: analysis.verdict, reasons: analysis.reasons });
      report();
      return current.analysed(analysis);
    }
  };

  /** An inconclusive step waits for approve or reject (or the timeout and its default); an abort ends the wait. */
  const awaitDecision = async (ask: Extract<CanaryAction, { type: 'await-decision' }>): Promise<CanaryAction> => {
    gate = new ApprovalGate(NO_DECISION_PENDING);
    gate.open(ask.gateId, Date.now(), ask.timeoutMs, ask.onTimeout);
    report();
    log.info('canary waits for a decision', { step: ask.gateId, reasons: ask.reasons, timeoutMs: ask.timeoutMs });
    const decided = await condition(() => !gate.pending || current.aborted, ask.timeoutMs);
    if (current.aborted) return current.abortedWhileWaiting();
    if (!decided) gate.timeOut(Date.now());
    const d = gate.decision!;
    return current.decided({ decision: d.decision, by: d.approver, reason: d.reason, at: d.at });
  };

  // Only canaries that ask for a shadow phase mark the patch, so every other history replays as before.
  let action: CanaryAction = current.begin(params.shadow !== undefined && champion !== null && patched(SHADOW_PATCH));
  if (action.type === 'finish') return finish(action.verdict, action.reasons);
  try {
    for (;;) {
      if (action.type === 'shift') action = await shift(action);
      else if (action.type === 'await-decision') action = await awaitDecision(action);
      else return await end(action);
    }
  } catch (err) {
    if (isCancellation(err)) {
      // A cancelled pipeline must not leave a half-shifted split behind.
      const cancelled = current.cancelled();
      await rollBack(cancelled.verdict, cancelled.reasons);
    }
    throw err;
  }
}

/** The sequential hold of every step, from the canary's params (durations parsed here, where toMs is). */
function sequentialPlan(params: ParsedCanaryInput['params']) {
  const hold = params.hold!;
  return holdPlan(toMs(params.interval), {
    minMs: hold.minDuration ? toMs(hold.minDuration) : undefined,
    maxMs: hold.maxDuration ? toMs(hold.maxDuration) : undefined,
    alpha: hold.alpha,
  });
}

async function measure(canaryMeasure: CanaryActivities['canaryMeasure'], model: string, champion: number, candidate: number, stepStartedAtMs: number, canaryStartedAtMs: number): Promise<{ measurement?: StepMeasurement; error?: string }> {
  try {
    return { measurement: await canaryMeasure({ model, champion, candidate, stepStartedAtMs, canaryStartedAtMs }) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Missing data is never a pass: the step becomes inconclusive and asks a human.
    return { error: `model server unreachable, no figures for this step: ${failureMessage(err)}` };
  }
}

/** What the status query answers before the input has been checked. */
function startingStatus(raw: CanaryInput): CanaryStatus {
  return {
    model: String(raw?.model ?? ''),
    candidate: Number(raw?.candidate),
    champion: raw?.champion ?? null,
    stage: 'starting',
    weight: 0,
    params: raw?.params as CanaryStatus['params'],
    startedAt: new Date(workflowInfo().startTime).toISOString(),
    steps: [],
    reasons: [],
  };
}

/** Validated by a local activity, so zod stays out of the bundle; a bad input fails the run naming each field. */
async function parseInput(raw: CanaryInput): Promise<ParsedCanaryInput> {
  try {
    return await parseCanaryInput(raw);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({ type: cause.type ?? ERROR_CODES.InvalidPipelineInput, message: cause.message, details: cause.details as unknown[] | undefined, nonRetryable: true });
    }
    throw err;
  }
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
