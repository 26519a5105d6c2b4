/**
 * The train step's half of the spec policy, in the worker: a registered trainer's name becomes
 * its registered command and environment (before the cache key is computed, so the trainer's
 * code is fingerprinted), and an inline command runs only for a principal an admin allowed.
 * The resolve activity refuses such specs already; this is the check next to the process spawn.
 */
import { PermissionDeniedError, TrainingError } from '../errors';
import type { TrainParams } from '../pipeline/step-params';
import type { StepRequest } from '../pipeline/types';
import type { TrainerRegistry } from '../training/trainer-registry';
import type { ResolvedTrainParams } from './train';

export function expandRegisteredTrainer(params: TrainParams, trainers: TrainerRegistry | undefined): ResolvedTrainParams {
  if (params.trainer === 'builtin' || params.trainer === 'command') return params;
  const entry = trainers?.get(params.trainer);
  if (!entry) throw new TrainingError(`trainer: no registered trainer "${params.trainer}" in ${trainers?.file ?? 'the worker (no trainer registry configured)'}`, { details: { trainer: params.trainer } });
  if (entry.kind !== 'trainer') throw new TrainingError(`trainer: "${params.trainer}" is registered as a command step program, not a trainer; use it in a step of kind command`, { details: { trainer: params.trainer } });
  return { ...params, trainer: 'command', command: entry.command, env: entry.env, passEnv: entry.passEnv, name: params.trainer, registered: params.trainer };
}

/** @throws PermissionDeniedError when an inline command would run for a principal not allowed it. */
export function assertTrainerAllowed(req: StepRequest, params: ResolvedTrainParams, inlineCommandPrincipals: readonly string[]): void {
  if (params.trainer !== 'command' || params.registered) return;
  const who = req.authority && req.authority.via !== 'none' ? req.authority.principal : undefined;
  if (who && inlineCommandPrincipals.includes(who)) return;
  throw new PermissionDeniedError(
    `Permission denied: ${who ?? 'a run without a verifiable identity'} may not run an inline command trainer in step ${req.ctx.stepId}; use a registered trainer (trainers/registry.yaml) or ask an admin to allow inline commands for you (SLIPWAY_INLINE_COMMAND_PRINCIPALS)`,
    { details: { step: req.ctx.stepId, principal: who ?? null } },
  );
}
