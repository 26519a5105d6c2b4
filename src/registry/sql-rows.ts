/**
 * Row shapes of the registry's tables as both SQL backends return them, and their mapping to
 * the public types. JSON columns are TEXT, parsed here.
 */
import type { ArtifactRef } from '../pipeline/types';
import type { AliasMove, Lineage, ModelVersion } from './model-registry';

export interface VersionRow {
  model: string;
  version: number;
  idempotency_key: string;
  artifact: string;
  metrics: string;
  params: string;
  lineage: string;
  tags: string;
  description: string | null;
  created_at: string;
}

export interface MoveRow {
  model: string;
  alias: string;
  from_version: number | null;
  to_version: number;
  actor: string;
  reason: string;
  evidence: string;
  moved_at: string;
  idempotency_key: string | null;
}

export const MOVE_COLUMNS = 'model, alias, from_version, to_version, actor, reason, evidence, moved_at, idempotency_key';

export function toVersion(row: VersionRow): ModelVersion {
  return {
    model: row.model,
    version: row.version,
    artifact: JSON.parse(row.artifact) as ArtifactRef,
    metrics: JSON.parse(row.metrics) as Record<string, number>,
    params: JSON.parse(row.params) as Record<string, unknown>,
    lineage: JSON.parse(row.lineage) as Lineage,
    tags: JSON.parse(row.tags) as Record<string, string>,
    description: row.description,
    createdAt: row.created_at,
    idempotencyKey: row.idempotency_key,
  };
}

export function toMove(row: MoveRow): AliasMove {
  return {
    model: row.model,
    alias: row.alias,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    actor: row.actor,
    reason: row.reason,
    evidence: JSON.parse(row.evidence) as Record<string, unknown>,
    at: row.moved_at,
    idempotencyKey: row.idempotency_key,
  };
}
