/**
 * `continuousTraining`: one long-running workflow per model. It checks the retrain
 * triggers (no champion, model age, new data, live quality, drift) on a timer or on demand, starts one
 * retraining pipeline at a time as a child (never two for the same model), and records why.
 * History stays bounded through continue-as-new. Triggers, reasons and the simulation: docs/continuous-training.md.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import { DurationSyntaxError, toMs } from '../duration/duration';
import { ERROR_CODES } from '../error-codes';
import { summaryOf } from '../pipeline/step-outputs';
import type { createActivities } from '../activities';
import {
  checkNowSignal,
  checkNowSignalDescription,
  continuousTrainingStatusQuery,
  continuousTrainingStatusQueryDescription,
} from './definitions';
import { pipeline } from './pipeline-workflow';
import { ASSESS_RETRAINING_OPTIONS } from './presets';
import type { ContinuousTrainingInput, ContinuousTrainingStatus, DriftEvidence, RetrainAssessment, RetrainDecision } from './continuous-training-status';
import { driftEvidence, evidenceFigures } from './drift-evidence';

type Activities = ReturnType<typeof createActivities>;

/** Re-exported for clients that imported them from here before they moved to definitions.ts. */
export { checkNowSignal, continuousTrainingStatusQuery };

const { assessRetraining } = proxyActivities<Activities>(ASSESS_RETRAINING_OPTIONS);

/** Decisions record the drift probe's figures (statistic and threshold per column); before it, only the verdict line. */
export const CT_DRIFT_EVIDENCE_PATCH = 'ct-drift-evidence';

/** Decisions kept in state; older ones remain in the workflow's history. */
const KEEP_DECISIONS = 50;

/** Runs the ingest+validate probe as a child pipeline and reads its drift verdict. */
async function probeDrift(probe: NonNullable<RetrainAssessment['probe']>, workflowId: string): Promise<{ detected: boolean; line: string; evidence?: DriftEvidence }> {
  try {
    const result = await executeChild(pipeline, { workflowId, args: [{ spec: probe.spec }] });
    const drift = summaryOf(result.steps.find((s) => s.id === probe.validateStep), 'validate')?.drift;
    if (!drift) return { detected: false, line: 'drift probe: validation reported no drift section' };
    const share = typeof drift.share === 'number' ? drift.share.toFixed(2) : '?';
    const verdict = drift.detected
      ? { detected: true, line: `drift detected against the champion's training data in ${drift.columns?.join(', ') || 'some columns'} (share ${share})` }
      : { detected: false, line: `no drift against the champion's training data (drifted share ${share}${drift.columns?.length ? `: ${drift.columns.join(', ')}` : ''})` };
    if (!patched(CT_DRIFT_EVIDENCE_PATCH)) return verdict;
    const evidence = driftEvidence(drift, workflowId);
    return { ...verdict, line: `${verdict.line}; ${evidenceFigures(evidence)}`, evidence };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Data that fails validation is not a reason to retrain on it; the failure is recorded.
    return { detected: false, line: `drift probe ${workflowId} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Milliseconds between checks; a bad `checkEvery` fails the workflow at once instead of its first timer. */
function checkIntervalMs(checkEvery: string | undefined): number {
  try {
    const ms = toMs(checkEvery ?? '1 hour');
    if (ms > 0) return ms;
  } catch (err) {
    if (!(err instanceof DurationSyntaxError)) throw err;
    throw ApplicationFailure.nonRetryable(`checkEvery: ${err.message}`, ERROR_CODES.InvalidWorkflowInput);
  }
  throw ApplicationFailure.nonRetryable(`checkEvery: ${JSON.stringify(checkEvery)} must be longer than zero`, ERROR_CODES.InvalidWorkflowInput);
}

export async function continuousTraining(input: ContinuousTrainingInput): Promise<ContinuousTrainingStatus> {
  const checkEveryMs = checkIntervalMs(input.checkEvery);
  const decisions: RetrainDecision[] = [...(input.history ?? [])];
  let checksDone = input.checksDone ?? 0;
  let running: string | undefined;
  let checkRequested = false;
  setHandler(continuousTrainingStatusQuery, () => ({ model: input.model, checksDone, running, decisions: [...decisions] }), {
    description: continuousTrainingStatusQueryDescription,
  });
  setHandler(checkNowSignal, () => void (checkRequested = true), { description: checkNowSignalDescription });

  while (input.maxChecks === undefined || checksDone < input.maxChecks) {
    const assessment = await assessRetraining({ model: input.model, pipeline: input.pipeline, overrides: input.overrides, policy: input.policy ?? {} });
    checksDone++;
    const decision: RetrainDecision = {
      at: new Date().toISOString(),
      retrain: assessment.retrain,
      reasons: assessment.reasons,
      championVersion: assessment.championVersion,
      ...(assessment.liveQuality && { liveQuality: assessment.liveQuality }),
    };
    if (!assessment.retrain && assessment.probe) {
      const drift = await probeDrift(assessment.probe, `${input.model}-drift-probe-${workflowInfo().workflowId}-${checksDone}`);
      decision.reasons = [...decision.reasons, drift.line];
      if (drift.evidence) decision.drift = drift.evidence;
      if (drift.detected) {
        decision.retrain = true;
        decision.reasons = [drift.line];
      }
    }
    if (decision.retrain) {
      // The child id is derived from the check number, so a replayed or retried start cannot double up.
      decision.workflowId = `${input.model}-retrain-${workflowInfo().workflowId}-${checksDone}`;
      running = decision.workflowId;
      try {
        const result = await executeChild(pipeline, {
          workflowId: decision.workflowId,
          args: [{ pipeline: input.pipeline, model: input.model, overrides: { ...input.overrides, ...assessment.overrides } }],
        });
        decision.outcome = result.outcome;
      } catch (err) {
        // Cancelling the workflow cancels its retrain too; that ends the workflow, it is not a failed retrain.
        if (isCancellation(err)) throw err;
        decision.outcome = 'failed';
        decision.error = err instanceof Error ? err.message : String(err);
      }
      running = undefined;
    }
    decisions.push(decision);
    if (decisions.length > KEEP_DECISIONS) decisions.splice(0, decisions.length - KEEP_DECISIONS);

    if (input.maxChecks !== undefined && checksDone >= input.maxChecks) break;
    checkRequested = false;
    await condition(() => checkRequested, checkEveryMs);
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof continuousTraining>({ ...input, history: decisions, checksDone });
    }
  }
  return { model: input.model, checksDone, decisions };
}
