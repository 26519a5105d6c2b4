/**
 * Decisions sent to a workflow (approve, reject, abort) accepted only from a principal the
 * worker verified: the update handler asks the `verifyDecision` local activity (crypto and keys
 * stay outside the sandbox), which checks the signed token, the role and the grant on the model
 * and alias. Behind the `slipway-verified-decisions` patch, so histories recorded before it
 * replay through the old, unverified path.
 */
import { ApplicationFailure, ActivityFailure, patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { createDecisionActivities } from '../activities/verify-decision';
import type { VerifiedDecision } from '../activities/verify-decision';
import type { DecisionVerb } from '../auth/signed-claims';
import type { ApprovalGate, ApprovalRequest, ApprovalState } from './approval-gate';
import { VERIFY_DECISION_OPTIONS } from './presets';

export const VERIFIED_DECISIONS_PATCH = 'slipway-verified-decisions';

const { verifyDecision } = proxyLocalActivities<ReturnType<typeof createDecisionActivities>>(VERIFY_DECISION_OPTIONS);

/** What a decision acts on, for the grant check. */
export interface DecisionTarget {
  model: string;
  alias: string;
}

/**
 * The verified principal behind `decision`; throws an ApplicationFailure (the update or signal is
 * refused) when there is none. Call only when `patched(VERIFIED_DECISIONS_PATCH)` said so.
 */
export async function verifyDecisionMaker(decision: DecisionVerb, token: unknown, claimed: unknown, target: DecisionTarget): Promise<VerifiedDecision> {
  try {
    return await verifyDecision({
      workflowId: workflowInfo().workflowId,
      decision,
      token: typeof token === 'string' ? token : undefined,
      claimed: typeof claimed === 'string' ? claimed : undefined,
      model: target.model,
      alias: target.alias,
    });
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure) throw ApplicationFailure.create({ type: cause.type ?? 'PermissionDenied', message: cause.message, nonRetryable: true });
    throw err;
  }
}

/**
 * The approve/reject update handler over the gate `currentGate` returns when the update runs,
 * verified from the patch on. A getter, not the gate: the canary opens a new gate per step.
 */
export function decisionHandler(currentGate: () => ApprovalGate, decision: 'approved' | 'rejected', target: () => DecisionTarget) {
  return async (req: ApprovalRequest): Promise<ApprovalState> => {
    if (!patched(VERIFIED_DECISIONS_PATCH)) return currentGate().decide(decision, req, Date.now());
    const verified = await verifyDecisionMaker(decision === 'approved' ? 'approve' : 'reject', req.token, req.approver, target());
    const gate = currentGate();
    // Two decisions may be verified at once; the first one to come back wins.
    if (!gate.pending) throw ApplicationFailure.create({ type: 'AlreadyDecided', message: 'the promotion was decided while this decision was being verified', nonRetryable: true });
    const claimed = verified.verifiedBy === 'dev' && req.approver.trim() !== verified.principal ? req.approver.trim() : undefined;
    return gate.decide(decision, { ...req, approver: verified.principal }, Date.now(), {
      verifiedBy: verified.verifiedBy,
      ...(claimed !== undefined && { claimed }),
      ...(typeof req.token === 'string' && { token: req.token }),
    });
  };
}
