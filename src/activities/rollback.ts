/** The registry half of the `rollback` workflow: the audited compare-and-set back to an earlier version. */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { AliasMove, ModelRegistry } from '../registry/model-registry';
import { rollbackAlias } from '../registry/rollback';
import { toFailure } from './step-activity';

export interface RollbackRequest {
  model: string;
  version: number;
  reason: string;
  actor: string;
  idempotencyKey: string;
  origin: string;
}

export async function rollbackChampion(deps: { registry: ModelRegistry; logger: Logger }, req: RollbackRequest): Promise<AliasMove> {
  const log = deps.logger.child({ activity: 'rollbackChampion', model: req.model });
  try {
    const move = await rollbackAlias(deps.registry, { model: req.model, toVersion: req.version, actor: req.actor, reason: req.reason, origin: req.origin, idempotencyKey: req.idempotencyKey });
    log.info({ from: move.fromVersion, to: move.toVersion }, 'champion rolled back');
    return move;
  } catch (err) {
    throw toFailure(err, Context.current().info.attempt, log);
  }
}
