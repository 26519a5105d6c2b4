/** The registry half of the `rollback` workflow: the audited compare-and-set back to an earlier version. */
import type { Logger } from 'pino';
import type { AliasMove, ModelRegistry } from '../registry/model-registry';
import { rollbackAlias } from '../registry/rollback';
import { atActivityBoundary } from './activity-boundary';

export interface RollbackRequest {
  model: string;
  version: number;
  reason: string;
  actor: string;
  idempotencyKey: string;
  origin: string;
}

export function createRollbackChampion(deps: { registry: ModelRegistry; logger: Logger }): (req: RollbackRequest) => Promise<AliasMove> {
  return atActivityBoundary('rollbackChampion', deps.logger, async (req: RollbackRequest, log) => {
    const move = await rollbackAlias(deps.registry, { model: req.model, toVersion: req.version, actor: req.actor, reason: req.reason, origin: req.origin, idempotencyKey: req.idempotencyKey });
    log.info({ model: req.model, from: move.fromVersion, to: move.toVersion }, 'champion rolled back');
    return move;
  });
}
