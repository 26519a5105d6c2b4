/**
 * `rollback`: moves a model's champion back to an earlier version (registry compare-and-set,
 * audited as `model.rollback`) and points the model server at it, keeping the version it
 * replaced loaded without traffic. Input: `{"model":"flight-delay","version":3,"reason":"...","actor":"alice"}`.
 */
import { ApplicationFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createCanaryActivities } from '../activities/canary';
import type { RollbackRequest } from '../activities/rollback';
import { ERROR_CODES } from '../error-codes';
import type { AliasMove } from '../registry/model-registry';
import { ROLLBACK_CHAMPION_OPTIONS, ROLLBACK_TRAFFIC_OPTIONS } from './presets';
import { loadTaskQueues, onQueue } from './task-queues';

type Activities = ReturnType<typeof createCanaryActivities> & { rollbackChampion(req: RollbackRequest): Promise<AliasMove> };

export interface RollbackInput {
  model: string;
  /** The version that becomes champion again. */
  version: number;
  reason: string;
  /** Who asked (recorded in the alias history and the audit log once the token verifies it). */
  actor: string;
  /** Decision token signed by the API or CLI (src/auth/signed-claims.ts); the activity verifies it. */
  token?: string;
}

export interface RollbackResult {
  move: AliasMove;
  /** What the model server did; `skipped` when the worker has no model server configured. */
  serving: { revision: number; changed: boolean } | { skipped: string };
}

export async function rollback(input: RollbackInput): Promise<RollbackResult> {
  const problems: string[] = [];
  if (typeof input?.model !== 'string' || input.model === '') problems.push('model: give the model name');
  if (!Number.isInteger(input?.version) || input.version < 1) problems.push('version: give the version number to roll back to, e.g. 3');
  if (typeof input?.reason !== 'string' || input.reason.trim() === '') problems.push('reason: say why; it is recorded in the audit log');
  if (typeof input?.actor !== 'string' || input.actor.trim() === '') problems.push('actor: say who asks');
  if (problems.length) throw ApplicationFailure.create({ type: ERROR_CODES.InvalidPipelineInput, message: `Invalid rollback input: ${problems.join('; ')}`, nonRetryable: true });

  const queues = await loadTaskQueues();
  const { rollbackChampion } = proxyActivities<Activities>(onQueue(ROLLBACK_CHAMPION_OPTIONS, queues, 'deployment'));
  const { deployChampion } = proxyActivities<Activities>(onQueue(ROLLBACK_TRAFFIC_OPTIONS, queues, 'deployment'));
  const { workflowId, runId } = workflowInfo();
  const move = await rollbackChampion({ ...input, idempotencyKey: `${workflowId}/${runId}`, origin: `temporal:${workflowId}/${runId}` });
  const applied = await deployChampion({ model: input.model, version: input.version, previous: move.fromVersion });
  const serving = 'skipped' in applied ? applied : { revision: applied.revision, changed: applied.changed };
  log.info('rolled back', { model: input.model, from: move.fromVersion, to: move.toVersion, serving });
  return { move, serving };
}
