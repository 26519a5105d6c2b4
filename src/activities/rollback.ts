/** The registry half of the `rollback` workflow: the audited compare-and-set back to an earlier version. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { AccessControl } from '../auth/access-control';
import { decide } from '../auth/authorize';
import { decisionPrincipal, UnverifiableIdentityError, type TrustSettings } from '../auth/run-authority';
import type { AliasMove, ModelRegistry } from '../registry/model-registry';
import { rollbackAlias } from '../registry/rollback';
import { atActivityBoundary } from './activity-boundary';

export interface RollbackRequest {
  model: string;
  version: number;
  reason: string;
  /** Who asks, as the request says; recorded only when verified (or in local development). */
  actor: string;
  /** A decision token (`rollback`, target `model@version`) signed by the API or CLI. */
  token?: string;
  idempotencyKey: string;
  origin: string;
}

export interface RollbackDeps {
  registry: ModelRegistry;
  logger: Logger;
  trust?: TrustSettings;
  access?: AccessControl;
}

export function createRollbackChampion(deps: RollbackDeps): (req: RollbackRequest) => Promise<AliasMove> {
  return atActivityBoundary('rollbackChampion', deps.logger, async (req: RollbackRequest, log) => {
    const actor = await rollbackActor(deps, req);
    const move = await rollbackAlias(deps.registry, { model: req.model, toVersion: req.version, actor, reason: req.reason, origin: req.origin, idempotencyKey: req.idempotencyKey });
    log.info({ model: req.model, from: move.fromVersion, to: move.toVersion, actor }, 'champion rolled back');
    return move;
  });
}

/**
 * The verified principal behind the rollback, with model.rollback and a grant on the champion;
 * whoever started the workflow. In local development an unsigned request acts as the dev principal.
 */
async function rollbackActor(deps: RollbackDeps, req: RollbackRequest): Promise<string> {
  const trust = deps.trust ?? { inlineCommandPrincipals: [] };
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? "";
  try {
    const who = await decisionPrincipal(trust, deps.access, { token: req.token, workflowId, decision: 'rollback', target: `${req.model}@${req.version}` });
    if (who.via === 'dev') return who.principal.name;
    const decision = decide(who.principal, 'model.rollback', { model: req.model, alias: 'champion' });
    if (!decision.allowed) throw ApplicationFailure.create({ type: 'PermissionDenied', message: `Permission denied: ${decision.reason}`, nonRetryable: true });
    return who.principal.name;
  } catch (err) {
    if (err instanceof UnverifiableIdentityError) throw ApplicationFailure.create({ type: err.name, message: `rollback of ${req.model} refused: ${err.message}`, nonRetryable: true });
    throw err;
  }
}
