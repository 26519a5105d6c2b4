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
import { analyseStep, baselineFor, type StepAnalysis, type StepMeasurement } from '../canary/analysis';
import { holdPlan, lookAtStep, nextWaitMs } from '../canary/sequential-hold';
import { CanaryState, type CanaryInput, type CanaryStatus, type CanaryVerdict, type ParsedCanaryInput } from '../canary/canary-state';
import type { StepResult } from '../pipeline/types';
import { ApprovalGate } from './approval-gate';
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

/** The workflow id of a model's canary: one at a time per model. */
export const canaryWorkflowId = (model: string): string => `canary-${model}`;

export async function canary(rawInput: CanaryInput): Promise<StepResult> {
  // Handlers first: a query, decision or abort that arrives while the input is still being
  // checked must find them (an update without a handler would be rejected outright).
  let live: CanaryState | undefined;
  let gate = new ApprovalGate('no canary decision is pending: decisions are asked for only when an analysis is inconclusive');
  let abortRequest: AbortRequest | undefined;
  setHandler(canaryStatusQuery, () => ({ ...(live?.status() ?? startingStatus(rawInput)), decision: gate.snapshot() }), { description: canaryStatusQueryDescription });
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
    abortRequest ??= { by, reason: String(req?.reason ?? 'no reason given') };
  }, { description: abortSignalDescription });

  const { canarySetTraffic, canaryMeasure, canaryWriteReport, rollbackTraffic } = canaryActivities(await loadTaskQueues());
  const input = await parseInput(rawInput);
  const state = new CanaryState(input, Date.now());
  live = state;

  const { model, candidate, champion, params } = input;
  // The pipeline that started this canary shows its progress in its own status query.
  const report = () => {
    if (!input.origin) return;
    const summary = state.summary(workflowInfo().workflowId);
    const progress = { stepId: input.origin.stepId, workflowId: workflowInfo().workflowId, stage: state.status().stage, weight: Number(summary.weight), steps: summary.steps as never, reasons: summary.reasons as string[] };
    getExternalWorkflowHandle(input.origin.workflowId, input.origin.runId)
      .signal(canaryProgressSignal, progress)
      .catch((err: unknown) => log.warn('could not report canary progress to the pipeline', { error: String(err) }));
  };
  const finish = async (verdict: CanaryVerdict, reasons: string[]): Promise<StepResult> => {
    state.finish(verdict, reasons, Date.now());
    log.info('canary finished', { model, candidate, verdict, reasons });
    const report = await CancellationScope.nonCancellable(() => canaryWriteReport(state.report()));
    return { artifacts: { canaryReport: report }, summary: { ...state.summary(workflowInfo().workflowId), report: report.uri }, attempt: 1 };
  };
  const rollBack = async (verdict: CanaryVerdict, reasons: string[]): Promise<StepResult> => {
    state.setStage('rolling-back');
    log.warn('canary rolls back', { model, candidate, reasons });
    await CancellationScope.nonCancellable(() => rollbackTraffic({ model, champion: champion!, candidate, weight: 0 }));
    state.rolledBack(0);
    return finish(verdict, reasons);
  };

  if (champion === null) return finish('skipped', ['no champion to compare with: the first version is promoted without a canary']);

  const holdMs = toMs(params.interval);
  const decisionMs = toMs(params.decisionTimeout);
  const aborted = () => abortRequest !== undefined;
  const abortReasons = () => [`aborted by ${abortRequest!.by}: ${abortRequest!.reason}`];
  try {
    for (const [i, weight] of params.steps.entries()) {
      if (aborted()) break;
      state.setStage('shifting-traffic');
      let applied;
      try {
        applied = await canarySetTraffic({ model, champion, candidate, weight });
      } catch (err) {
        if (isCancellation(err)) throw err;
        return await rollBack('rolled-back', [`the model server did not take the canary at ${weight}%: ${failureMessage(err)}`]);
      }
      const stepStart = Date.now();
      state.beginStep(weight, stepStart, holdMs, applied.serverStartedAt);
      report();
      const analysisInput = {
        thresholds: params.analysis,
        previousBaseline: state.baseline,
        serverStartedAtStepStart: applied.serverStartedAt,
        weight,
        lastStep: i === params.steps.length - 1,
        // Canaries recorded before this rule judged the last step's score shift against the previous step's champion.
        concurrentScoreShift: patched(CONCURRENT_SCORE_SHIFT_PATCH),
      };
      // Histories recorded before sequential holds have no `hold` and keep their single analysis.
      const plan = params.hold?.mode === 'sequential' && patched('canary-sequential-hold') ? sequentialPlan(params) : undefined;
      let analysis: StepAnalysis | undefined;
      for (let look = 1; !analysis; look++) {
        const waitMs = plan ? nextWaitMs(plan, Date.now() - stepStart) : holdMs;
        log.info('canary step holds', { step: i + 1, weight, holdMs: waitMs, look });
        if (await condition(aborted, waitMs)) break;

        state.setStage('analysing');
        const { measurement, error } = await measure(canaryMeasure, model, champion, candidate, stepStart, state.startedAtMs);
        const looked = plan && measurement ? lookAtStep({ ...analysisInput, measurement }, plan, Date.now() - stepStart, look) : undefined;
        const result: StepAnalysis = looked
          ? looked.analysis
          : measurement
            ? analyseStep({ ...analysisInput, measurement })
            : { verdict: 'inconclusive', checks: [], reasons: [`measurement: ${error}`] };
        state.recordAnalysis(measurement, result, error, measurement ? baselineFor({ ...analysisInput, measurement }) : undefined);
        if (looked) state.recordLook(looked.look, looked.elapsedMs, plan!);
        // An unreachable server may be back at the next look; only the maximum duration ends the wait.
        const retry = plan && !measurement && Date.now() - stepStart < plan.maxMs;
        if ((looked && !looked.decided) || retry) {
          state.setStage('holding');
          continue;
        }
        analysis = result;
      }
      if (!analysis) break;
      log.info('canary step analysed', { step: i + 1, weight, verdict: analysis.verdict, reasons: analysis.reasons });
      report();

      if (analysis.verdict === 'fail') return await rollBack('rolled-back', analysis.reasons);
      if (analysis.verdict === 'inconclusive') {
        gate = new ApprovalGate('no canary decision is pending: decisions are asked for only when an analysis is inconclusive');
        gate.open(`step-${i + 1}`, Date.now(), decisionMs, params.onDecisionTimeout === 'continue' ? 'approve' : 'reject');
        state.setStage('awaiting-decision');
        report();
        log.info('canary waits for a decision', { step: i + 1, reasons: analysis.reasons, timeoutMs: decisionMs });
        const decided = await condition(() => !gate.pending || aborted(), decisionMs);
        if (aborted()) break;
        if (!decided) gate.timeOut(Date.now());
        const d = gate.decision!;
        state.recordDecision({ decision: d.decision, by: d.approver, reason: d.reason, at: d.at });
        if (d.decision === 'rejected') return await rollBack('rolled-back', [...analysis.reasons, `rejected by ${d.approver}: ${d.reason}`]);
      }
    }
    if (aborted()) return await rollBack('aborted', abortReasons());
    return await finish('passed', []);
  } catch (err) {
    if (isCancellation(err)) {
      // A cancelled pipeline must not leave a half-shifted split behind.
      await rollBack('aborted', ['the canary was cancelled']);
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
