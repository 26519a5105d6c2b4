/**
 * `verifyDecision`: the local activity the workflows' approve/reject updates (and the canary's)
 * call before accepting a decision. Crypto and keys stay out of the workflow sandbox, and a
 * decision sent by a raw Temporal client with `{"approver":"<any name>"}` is refused unless it
 * carries a token the API or CLI signed (or the dev principal stands in, in local development).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { AccessControl } from '../auth/access-control';
import { decide } from '../auth/authorize';
import { decisionPrincipal, UnverifiableIdentityError, type TrustSettings } from '../auth/run-authority';
import type { DecisionVerb } from '../auth/signed-claims';
import type { Action } from '../auth/roles';

export interface VerifyDecisionRequest {
  workflowId: string;
  decision: DecisionVerb;
  token?: string;
  /** The name the request claims; only recorded (as `claimed`) when the dev principal stands in. */
  claimed?: string;
  /** The model and alias the decision moves, for the grant check. */
  model: string;
  alias: string;
}

export interface VerifiedDecision {
  principal: string;
  verifiedBy: 'token' | 'dev';
}

/** Approving needs run.approve with a grant on model@alias; rejecting and aborting need run.reject, granted the same way. */
const ACTION: Record<DecisionVerb, Action> = { approve: 'run.approve', reject: 'run.reject', abort: 'run.reject', rollback: 'model.rollback' };

export function createDecisionActivities(deps: { trust: TrustSettings; access?: AccessControl }) {
  return {
    async verifyDecision(req: VerifyDecisionRequest): Promise<VerifiedDecision> {
      try {
        const who = await decisionPrincipal(deps.trust, deps.access, { token: req.token, claimed: req.claimed, workflowId: req.workflowId, decision: req.decision });
        const decision = decide(who.principal, ACTION[req.decision], { model: req.model, alias: req.alias });
        if (!decision.allowed) throw ApplicationFailure.create({ type: 'PermissionDenied', message: `Permission denied: ${decision.reason}`, nonRetryable: true });
        return { principal: who.principal.name, verifiedBy: who.via === 'dev' ? 'dev' : 'token' };
      } catch (err) {
        if (err instanceof UnverifiableIdentityError) throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true });
        throw err;
      }
    },
  };
}
