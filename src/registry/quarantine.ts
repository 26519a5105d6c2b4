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

/** One run that stopped a batch; `runId` is unknown for entries audited before it was recorded. */
export interface BatchRun {
  workflowId: string;
  runId?: string;
}

/** What a purge of a discarded batch did, for its `data.purge` audit entry. */
export interface PurgeRecord {
  model: string;
  dataDigest: string;
  /** `system:quarantine-sweep`, or the approver whose discard triggered it. */
  actor: string;
  origin: string;
  /** Digests whose bytes were deleted now, with their size. */
  deleted: { sha256: string; bytes: number }[];
  /** Digests that were already gone (a purge interrupted earlier, or deleted by hand). */
  gone: string[];
  /** Digests kept because something else still refers to them, and what. */
  kept: { sha256: string; reasons: string[] }[];
  /** A repeat purge: bytes an earlier purge deleted were stored again (the batch re-ingested by a re-run). */
  again?: boolean;
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
  /**
   * Audits a run that validation refused because the batch was discarded (`data.refuse`, once per
   * run): its ingest stored the batch's bytes again, and this makes that run one of the batch's own,
   * so the next sweep deletes them (its step records do not keep them).
   */
  refused(run: { model: string; dataDigest: string; workflowId: string; runId: string }): Promise<void>;
  /** Discarded batches whose purge has not been audited yet (no `data.purge` entry), oldest decision first. */
  unpurged(): Promise<QuarantinedBatch[]>;
  /** The runs that stopped this batch: the row's latest run and the one of each `data.quarantine` or `data.refuse` audit entry. */
  runsOf(model: string, dataDigest: string): Promise<BatchRun[]>;
  /**
   * Who else in the database refers to the artifact `sha256`: quarantined or released batches other
   * than `except` (a discarded one does not keep bytes), and model versions (their artifact, lineage,
   * metrics, params, tags or description mention it). Labels like `model version churn v3`.
   */
  holdersOf(sha256: string, except: { model: string; dataDigest: string }): Promise<string[]>;
  /** The digests the batch's `data.purge` entries list as deleted or already gone (empty: never purged). */
  purgedDigests(model: string, dataDigest: string): Promise<string[]>;
  /**
   * Audits a finished purge (`data.purge`) of a discarded batch, once: answers false, writing
   * nothing, when its purge is already audited, unless `record.again` (a repeat purge of bytes
   * that were stored again).
   * @throws RegistryError `unknown-batch`, or `invalid-input` when the batch is not discarded.
   */
  recordPurge(record: PurgeRecord): Promise<boolean>;
}
