/**
 * Rollback: move an alias (the champion by default) back to an earlier version. A
 * compare-and-set against the version the caller saw, audited as `model.rollback`, so a
 * rollback never silently undoes a promotion that happened in between.
 */
import type { AliasMove, ModelRegistry } from './model-registry';
import { registryError } from './registry-error';

export interface RollbackInput {
  model: string;
  toVersion: number;
  actor: string;
  reason: string;
  alias?: string;
  origin?: string;
  /** Makes a retried rollback (an activity attempt) return the move it already made instead of failing. */
  idempotencyKey?: string;
}

export async function rollbackAlias(registry: ModelRegistry, input: RollbackInput): Promise<AliasMove> {
  const alias = input.alias ?? 'champion';
  if (input.idempotencyKey !== undefined) {
    const earlier = (await registry.aliasHistory(input.model, alias)).find((m) => m.idempotencyKey === input.idempotencyKey);
    if (earlier) return earlier;
  }
  const current = await registry.getAlias(input.model, alias);
  if (!current) throw registryError('unknown-model', `model "${input.model}" has no "${alias}" to roll back`);
  const target = await registry.getVersion(input.model, input.toVersion);
  if (!target) {
    const known = (await registry.listVersions(input.model)).map((v) => `v${v.version}`).join(', ');
    throw registryError('unknown-version', `model "${input.model}" has no version ${input.toVersion} (versions: ${known})`);
  }
  if (current.version === input.toVersion) {
    throw registryError('invalid-input', `"${alias}" of "${input.model}" already points to v${input.toVersion}`);
  }
  return registry.setAlias({
    model: input.model,
    alias,
    version: input.toVersion,
    expectedVersion: current.version,
    actor: input.actor,
    reason: input.reason,
    auditAction: 'model.rollback',
    idempotencyKey: input.idempotencyKey,
    origin: input.origin,
    evidence: { rolledBackFrom: current.version },
  });
}
