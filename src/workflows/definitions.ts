/**
 * Message handles of Slipway's workflows (pipeline, canary, continuous training). Clients import
 * these to query or signal a run; the descriptions make the Temporal UI list them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CanaryStatus } from '../canary/canary-state';
import type { ApprovalRequest, ApprovalState } from './approval-gate';
import type { ContinuousTrainingStatus } from './continuous-training-status';
import type { PipelineStatus } from './pipeline-status';

export const statusQuery = defineQuery<PipelineStatus>('status');
export const statusQueryDescription =
  'Current stage and, per step: state, attempts, timings and output summary.';

/** Approve a blessed candidate waiting for manual promotion: `{"approver":"alice","reason":"..."}`. */
export const approveUpdate = defineUpdate<ApprovalState, [ApprovalRequest]>('approve');
export const approveUpdateDescription =
  'Approve the promotion waiting in this run. Input: {"approver": "<who>", "reason": "<why>", "token": "<decision token signed by the Slipway API/CLI>"}; the verified signer is recorded with the model version.';

/** Reject a candidate waiting for manual promotion; the alias does not move. */
export const rejectUpdate = defineUpdate<ApprovalState, [ApprovalRequest]>('reject');
export const rejectUpdateDescription =
  'Reject the promotion waiting in this run. Input: {"approver": "<who>", "reason": "<why>"}; the champion stays as it is.';

/** The canary workflow's state: every step's measurements, thresholds, verdicts and decisions. */
export const canaryStatusQuery = defineQuery<CanaryStatus & { decision?: ApprovalState }>('status');
export const canaryStatusQueryDescription =
  'Canary stage, traffic weight and, per step: measurements of canary and champion, each check with its threshold, the verdict and any human decision.';
export const canaryApproveDescription =
  'Continue a canary whose analysis was inconclusive (to its next traffic step). Input: {"approver": "<who>", "reason": "<why>"}.';
export const canaryRejectDescription =
  'Roll back a canary whose analysis was inconclusive: its traffic goes to 0 and the champion stays. Input: {"approver": "<who>", "reason": "<why>"}.';

export interface AbortRequest {
  by: string;
  reason: string;
  /** Decision token (`abort`) signed by the API or CLI; unsigned aborts count only with a dev principal. */
  token?: string;
}
/** Stops a canary at once: its traffic goes to 0, the champion keeps serving. Input: `{"by":"alice","reason":"..."}`. */
export const abortSignal = defineSignal<[AbortRequest]>('abort');
export const abortSignalDescription = 'Abort the canary now and roll it back. Input: {"by": "<who>", "reason": "<why>", "token": "<signed decision token>"}; an abort that does not verify is ignored.';

/** A canary's progress, sent by the `canary` child to the pipeline that started it (shown in that run's status). */
export interface CanaryProgress {
  stepId: string;
  workflowId: string;
  stage: string;
  weight: number;
  /** Verdict per analysed traffic step. */
  steps: { weight: number; verdict: string | null; decision: string | null }[];
  reasons: string[];
}
export const canaryProgressSignal = defineSignal<[CanaryProgress]>('canaryProgress');
export const canaryProgressSignalDescription =
  "Sent by this run's canary child: its stage, traffic weight and per-step verdicts, shown in the run's status. Not for people.";

/** The continuous-training workflow's state: checks done, the retrain in progress, every decision. */
export const continuousTrainingStatusQuery = defineQuery<ContinuousTrainingStatus>('ctStatus');
export const continuousTrainingStatusQueryDescription = 'Checks done, the retrain in progress, and every decision with its reasons.';
/** Checks the retrain triggers now instead of at the next `checkEvery`. */
export const checkNowSignal = defineSignal('checkNow');
export const checkNowSignalDescription = 'Check the retrain triggers now.';
