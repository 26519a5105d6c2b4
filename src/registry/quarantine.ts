/**
 * Quarantined data batches: a batch that failed validation is kept (its snapshots and report),
 * by model and data digest, instead of being forgotten. Nothing is trained or registered from it
 * until an approver with a grant on the model releases it with a reason; or it is discarded.
 * Decisions are audited in the same transaction. See src/validation/ARCHITECTURE.md.
 */
import type { ArtifactRef } from '../pipeline/types';

export type QuarantineState = 'quarantined' | 'released' | 'discarded';

/** What validation records when it stops a batch. */
export interface QuarantineInput {
  model: string;
  /** sha256 over the train and holdout snapshots (ingest's `dataDigest`). */
  dataDigest: string;
  workflowId: string;
  runId: string;
  snapshots: { train: ArtifactRef; holdout: ArtifactRef };
  /** `artifact://` URIs of the JSON and HTML validation reports. */
  report: string;
  reportHtml: string;
  /** Labels of the failed checks, e.g. `labelConsistency(origin)`. */
  failed: string[];
  /** The top findings (where, observed vs expected, rows, p-value, effect). */
  findings: unknown[];
}

export interface QuarantinedBatch extends QuarantineInput {
  state: QuarantineState;
  quarantinedAt: string;
  /** Set once released or discarded. */
  decision: { at: string; by: string; reason: string } | null;
}

export interface QuarantineDecision {
  model: string;
  dataDigest: string;
  decision: 'release' | 'discard';
  /** Principal name of the approver. */
  actor: string;
  /** Why; required, it goes into the audit log and the lineage of models trained from a released batch. */
  reason: string;
  /** Where the request came from (`api 10.0.0.7`, `cli`). @default 'unspecified' */
  origin?: string;
}

/** Where quarantined batches are kept: the registry's database. */
export interface BatchQuarantine {
  /**
   * Records a stopped batch (state `quarantined`), or refreshes the run and report of one that is
   * still quarantined. A batch already released or discarded keeps its state and decision.
   */
  quarantine(input: QuarantineInput): Promise<QuarantinedBatch>;
  /** The batch of `model` with `dataDigest`, if it was ever quarantined. */
  get(model: string, dataDigest: string): Promise<QuarantinedBatch | undefined>;
  /** Batches, newest first; `model` and `state` filter. */
  list(filter?: { model?: string; state?: QuarantineState }): Promise<QuarantinedBatch[]>;
  /**
   * Releases or discards a quarantined batch and audits it (`data.release` / `data.discard`).
   * @throws RegistryError `unknown-batch` (no such batch) or `batch-decided` (already released or discarded).
   */
  decide(input: QuarantineDecision): Promise<QuarantinedBatch>;
}
