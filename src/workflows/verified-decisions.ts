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

export const VERIFIED_DECISIONS_PATCH = 'slipway-verified-decisions';

const { verifyDecision } = proxyLocalActivities<ReturnType<typeof createDecisionActivities>>({
  startToCloseTimeout: '10s',
  // A refusal is final; only a store hiccup is worth a second try.
  retry: { maximumAttempts: 2, initialInterval: '200ms', nonRetryableErrorTypes: ['PermissionDenied', 'UnverifiableIdentity'] },
  summary: 'verify decision',
});

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

/** The approve/reject update handler over the current gate (the canary makes a new one per step), verified from the patch on. */
export function decisionHandler(currentGate: () => ApprovalGate, decision: 'approved' | 'rejected', target: () => DecisionTarget) {
  return async (req: ApprovalRequest): Promise<ApprovalState> => {
    const gate = currentGate();
    if (!patched(VERIFIED_DECISIONS_PATCH)) return gate.decide(decision, req, Date.now());
    const verified = await verifyDecisionMaker(decision === 'approved' ? 'approve' : 'reject', req.token, req.approver, target());
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
