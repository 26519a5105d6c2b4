/**
 * Starts the `rollback` workflow and waits for it, for the API and the CLI: the workflow moves
 * the champion (audited by the registry as `model.rollback`) and points the model server at it.
 * A registry refusal comes back as the RegistryError it was, so callers answer 404/409/400 as
 * they did when they called the registry directly.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Principal } from '../auth/principal';
import { decisionToken } from '../auth/signed-claims';
import type { RegistryErrorKind } from '../registry/model-registry';
import { registryError } from '../registry/registry-error';
import { PermissionDeniedError } from '../errors';
import type { RollbackInput, RollbackResult } from '../workflows/rollback-workflow';

export type { RollbackInput, RollbackResult };

/** A started rollback; `result` settles when the workflow closes. */
export interface StartedRollback {
  workflowId: string;
  runId: string;
  result: Promise<RollbackResult>;
}

/** Workflow ids are `rollback-<model>-<uuid>`: readable in the UI, never reused. */
export const rollbackWorkflowId = (model: string): string => `rollback-${model}-${randomUUID()}`;

/**
 * `signing`: the caller's principal and SLIPWAY_RUN_SIGNING_KEY; the rollback activity moves the
 * champion only for a verified principal with the grant (or the dev principal in local development).
 * @param workflowId chosen beforehand when the caller audits the start ahead of it.
 */
export async function startRollback(
  temporal: Client,
  taskQueue: string,
  input: RollbackInput,
  signing?: { key?: string; principal: Principal },
  workflowId = rollbackWorkflowId(input.model),
): Promise<StartedRollback> {
  const { token: _ignored, ...unsigned } = input;
  const args = signing?.key ? { ...unsigned, token: decisionToken(signing.key, signing.principal, workflowId, 'rollback', `${input.model}@${input.version}`) } : unsigned;
  const handle = await temporal.workflow.start('rollback', {
    taskQueue,
    workflowId,
    args: [args],
    staticSummary: `rollback ${input.model} to v${input.version}`,
  });
  return { workflowId, runId: handle.firstExecutionRunId, result: handle.result().catch((err: unknown) => Promise.reject(unwrapFailure(err))) };
}

/** The RegistryError (or invalid input) behind a failed rollback workflow; other errors unchanged. */
export function unwrapFailure(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  for (let cause: unknown = err.cause; cause instanceof Error; cause = cause.cause) {
    if (!(cause instanceof ApplicationFailure)) continue;
    if (cause.type === 'RegistryError') {
      const details = (cause.details?.[0] ?? {}) as Record<string, unknown>;
      const kind = (typeof details.kind === 'string' ? details.kind : 'invalid-input') as RegistryErrorKind;
      return registryError(kind, cause.message);
    }
    if (cause.type === 'InvalidPipelineInput') return registryError('invalid-input', cause.message);
    if (cause.type === 'PermissionDenied' || cause.type === 'UnverifiableIdentity') return new PermissionDeniedError(cause.message);
  }
  return err;
}
