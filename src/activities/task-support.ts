/**
 * Steps that judge labels or scores (validate, evaluate) handle binary labels only so far; multiclass
 * and regression snapshots can be ingested and trained (built-in trainer), and stop here with a clear
 * error rather than a misleading check (a "positive rate" of class names) or a crash in scoring.
 */
import { InvalidPipelineInputError } from '../errors';
import type { ArtifactRef } from '../pipeline/types';
import { snapshotMeta } from '../validation/snapshot-meta';

/** @throws InvalidPipelineInputError when the snapshot's label is multiclass or regression. */
export function requireBinarySnapshot(ref: ArtifactRef, step: 'validate' | 'evaluate'): void {
  const task = snapshotMeta(ref).task;
  if (task === undefined) return;
  throw new InvalidPipelineInputError([
    `label.task: the ${step} step handles binary labels only so far; this snapshot's label is ${task}. ` +
      `Ingest and the built-in trainer support ${task}; ${step} for ${task} is not built yet`,
  ]);
}
