/**
 * Who moves the alias, checked in the activity that moves it, whoever started the workflow:
 * an approval must come from a verified principal with `run.approve` and a grant on the model
 * and alias; an automatic promotion needs the run's verified authority (its starter owns the
 * model, or runs the owner's named pipeline unchanged). Returns the actor for the audit log.
 */
import type { AccessControl } from '../auth/access-control';
import { decide } from '../auth/authorize';
import type { Principal } from '../auth/principal';
import { decisionPrincipal, UnverifiableIdentityError, type TrustSettings } from '../auth/run-authority';
import { PermissionDeniedError } from '../errors';
import type { StepRequest } from '../pipeline/types';

export interface PromotionActor {
  /** Recorded as the alias move's actor: the person, never `workflow:<id>` when one is known. */
  actor: string;
  reason: string;
}

/** @throws PermissionDeniedError when nobody with the right to move `model@alias` stands behind the move. */
export async function promotionActor(deps: { trust?: TrustSettings; access?: AccessControl }, req: StepRequest, alias: string): Promise<PromotionActor> {
  const { model, workflowId, pipeline } = req.ctx;
  const refuse = (why: string): never => {
    throw new PermissionDeniedError(`Permission denied: ${model}@${alias} not moved by run ${workflowId}: ${why}`, { details: { model, alias, workflowId } });
  };
  const trust = deps.trust ?? { inlineCommandPrincipals: [] };
  const approval = req.approval;
  if (approval && approval.approver !== 'timeout') {
    if (approval.verifiedBy === 'dev' && trust.devPrincipal === approval.approver) return { actor: approval.approver, reason: `approved by ${approval.approver}: ${approval.reason}` };
    let principal: Principal;
    try {
      principal = (await decisionPrincipal({ ...trust, devPrincipal: undefined }, deps.access, { token: approval.token, workflowId, decision: 'approve', atSeconds: Date.parse(approval.at) / 1000 })).principal;
    } catch (err) {
      if (err instanceof UnverifiableIdentityError) return refuse(`the approval by "${approval.approver}" is not verifiable (${err.message})`);
      throw err;
    }
    const decision = decide(principal, 'run.approve', { model, alias });
    if (!decision.allowed) refuse(decision.reason);
    return { actor: principal.name, reason: `approved by ${principal.name}: ${approval.reason}` };
  }
  if (approval) return { actor: `workflow:${workflowId}`, reason: `approved by the timeout default of pipeline ${pipeline}` };
  const authority = req.authority;
  if (!authority) {
    // A run resolved before run tickets: only local development still moves aliases for it.
    if (trust.devPrincipal) return { actor: `workflow:${workflowId}`, reason: `blessed by evaluation in pipeline ${pipeline}` };
    return refuse('the run carries no verified authority (started before run tickets); re-run it');
  }
  if (authority.promotion === 'approval-only') return refuse(`${authority.principal} may not promote automatically; an approval through the API is needed`);
  if (authority.promotion === 'owner' && deps.access && !authority.principal.includes(':')) {
    // Rights are read again now: a grant revoked while the run evaluated no longer counts.
    const stored = await deps.access.getPrincipal(authority.principal);
    if (stored) {
      const grants = stored.disabledAt ? [] : (await deps.access.listGrants(authority.principal)).map((g) => ({ model: g.model, alias: g.alias }));
      const decision = decide({ name: stored.name, roles: stored.disabledAt ? [] : stored.roles, grants }, 'model.promote', { model, alias });
      if (!decision.allowed) refuse(`the run's policy was set by ${authority.principal} as owner, who no longer may: ${decision.reason}`);
    }
  }
  const basis = authority.promotion === 'owner' ? 'its owner' : `the policy of pipeline ${pipeline}`;
  return { actor: authority.principal, reason: `blessed by evaluation in pipeline ${pipeline}, under ${basis}; run ${workflowId} started by ${authority.principal}` };
}
