/**
 * The model registry: numbered, immutable model versions and movable aliases
 * (`champion`, `production`, ...) with an append-only history of every move.
 *
 * Every write is safe to retry. Registering with an `idempotencyKey` already used for the
 * model returns the earlier version, and an alias move with a recorded `idempotencyKey`
 * returns the earlier move, so an activity retried after a crash never creates a duplicate.
 */
import type { ArtifactRef } from '../pipeline/types';

/** Where a model version came from: enough to reproduce it or to audit it. */
export interface Lineage {
  /** sha256 of the training data (or of the manifest listing its parts). */
  dataDigest: string;
  /** sha256 of the canonical pipeline spec that produced the model. */
  specDigest: string;
  /** Temporal workflow id of the pipeline run. */
  workflowId: string;
  /** Temporal run id of the pipeline run. */
  runId: string;
  /** Pipeline name. */
  pipeline: string;
  /** Trainer that fitted the model, e.g. `sklearn.gradient_boosting`. */
  trainer: string;
  /** Trainer's own version, when it reports one. */
  trainerVersion?: string;
  /** Slipway's code version (e.g. a git sha) at training time. */
  codeVersion?: string;
  /** Further JSON facts (seeds, feature list, hardware). */
  [key: string]: unknown;
}

/** Input of {@link ModelRegistry.registerVersion}. */
export interface RegisterVersionInput {
  /** Model name; the model is created on its first registration. */
  model: string;
  /** Stable per logical registration (e.g. `<workflowId>/<stepId>`); a repeat returns the earlier version. */
  idempotencyKey: string;
  /** The model file in the artifact store. */
  artifact: ArtifactRef;
  /** Evaluation metrics; every value must be a finite number. */
  metrics: Record<string, number>;
  /** Training hyperparameters, JSON-serialisable. */
  params: Record<string, unknown>;
  lineage: Lineage;
  /** @default {} */
  tags?: Record<string, string>;
  description?: string;
  /** Who registers, for the audit log. @default `workflow:<lineage.workflowId>` */
  actor?: string;
  /** Where the request came from, for the audit log. @default `workflow:<lineage.workflowId>` */
  origin?: string;
}

/**
 * Input of {@link ModelRegistry.annotateVersion}: a patch of the only mutable parts of a
 * version, its tags and description. Tags not named are kept, so concurrent patches of
 * different tags never overwrite each other.
 */
export interface AnnotateVersionInput {
  model: string;
  version: number;
  /** Tags to add or overwrite; keys and values follow the grammar in registry-input.ts (`TAG_KEY`, `MAX_TAG_VALUE`). @default {} */
  setTags?: Record<string, string>;
  /** Tag names to remove; removing an absent tag is not an error. @default [] */
  removeTags?: string[];
  /** New description; `null` clears it; absent leaves it unchanged. */
  description?: string | null;
  /** Who edits, for the audit log. */
  actor: string;
  /** Why, for the audit log. @default '' */
  reason?: string;
  /** Where the request came from, for the audit log. @default 'unspecified' */
  origin?: string;
}

/** One immutable, numbered version of a model. */
export interface ModelVersion {
  model: string;
  /** 1, 2, 3, ... in registration order, per model. */
  version: number;
  artifact: ArtifactRef;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  lineage: Lineage;
  tags: Record<string, string>;
  /** null when none was given, so the value survives a JSON round trip. */
  description: string | null;
  /** ISO 8601 timestamp. */
  createdAt: string;
  idempotencyKey: string;
}

/** Input of {@link ModelRegistry.setAlias}. */
export interface SetAliasInput {
  model: string;
  /** e.g. `champion`, `production`, `staging`. */
  alias: string;
  /** Version the alias should point to; must exist. */
  version: number;
  /** The version the caller last saw the alias at; null when it saw the alias unset. */
  expectedVersion: number | null;
  /** Who moves it: a user, or `workflow:<id>` for automated promotion. */
  actor: string;
  /** Why, in words; kept in the history. */
  reason: string;
  /** Makes the move retry-safe: a repeat with this key returns the recorded move. */
  idempotencyKey?: string;
  /** JSON facts backing the decision (metric comparisons, canary results, report URIs, approval). @default {} */
  evidence?: Record<string, unknown>;
  /** Where the request came from, for the audit log, e.g. `api 10.0.0.7`. @default 'unspecified' */
  origin?: string;
  /** How the audit log names the move. @default 'alias.move' */
  auditAction?: AliasAuditAction;
}

/** Audit actions an alias move may be recorded as. */
export type AliasAuditAction = 'alias.move' | 'model.promote' | 'model.rollback';

/** One entry of an alias's append-only history. */
export interface AliasMove {
  model: string;
  alias: string;
  /** null when the alias was unset before this move. */
  fromVersion: number | null;
  toVersion: number;
  actor: string;
  reason: string;
  evidence: Record<string, unknown>;
  /** ISO 8601 timestamp. */
  at: string;
  idempotencyKey: string | null;
}

/** A model as listed by {@link ModelRegistry.listModels}. */
export interface ModelSummary {
  model: string;
  /** ISO 8601 timestamp of the first registration. */
  createdAt: string;
  /** Highest registered version. */
  latestVersion: number;
  /** Current aliases and the versions they point to. */
  aliases: Record<string, number>;
}

/**
 * What went wrong in a `RegistryError`, found in `err.details.kind`, so callers can react
 * without parsing messages (e.g. a promotion re-reads the alias after `stale-alias`).
 */
export type RegistryErrorKind =
  | 'invalid-input'
  | 'unknown-model'
  | 'unknown-version'
  /** A `models:/<name>@<alias>` URI names an alias the model does not have. */
  | 'unknown-alias'
  | 'stale-alias'
  | 'idempotency-conflict'
  | 'schema-too-new'
  /** No quarantined data batch with that model and digest. */
  | 'unknown-batch'
  /** The quarantined batch was already released or discarded. */
  | 'batch-decided';

/**
 * Stores model versions and aliases. Implementation: `SqlModelRegistry` over SQLite
 * (`SqliteModelRegistry`) or PostgreSQL (`SqlModelRegistry` on a `PostgresDatabase`, see
 * create-registry.ts). Every write is
 * recorded in the audit log of the same database, in the same transaction.
 */
export interface ModelRegistry {
  /**
   * Registers the next version of `input.model`, creating the model if needed.
   * If this model already has a version with `input.idempotencyKey`, that version is returned
   * unchanged and nothing is written; the new input is not compared with it.
   * @throws RegistryError (`invalid-input`) for empty names or non-finite metrics.
   */
  registerVersion(input: RegisterVersionInput): Promise<ModelVersion>;

  /** The version, or undefined when the model or version does not exist. */
  getVersion(model: string, version: number): Promise<ModelVersion | undefined>;

  /** All versions of `model`, ascending; empty for an unknown model. */
  listVersions(model: string): Promise<ModelVersion[]>;

  /** All models, by name. */
  listModels(): Promise<ModelSummary[]>;

  /** The version `alias` points to, or undefined when the alias is unset. */
  getAlias(model: string, alias: string): Promise<ModelVersion | undefined>;

  /**
   * Moves `alias` to `version` if, and only if, it currently points to `expectedVersion`
   * (compare-and-set, atomic against concurrent writers), and appends the move to the history.
   *
   * When `idempotencyKey` matches a move already recorded for this model, that move is
   * returned and nothing changes, even if the alias has moved on since.
   * @throws RegistryError `stale-alias` when the alias is not at `expectedVersion`;
   * `unknown-model` / `unknown-version` when the target does not exist;
   * `idempotency-conflict` when the key was recorded for a different move.
   */
  setAlias(input: SetAliasInput): Promise<AliasMove>;

  /** Alias moves of `model` (only those of `alias`, if given), oldest first. */
  aliasHistory(model: string, alias?: string): Promise<AliasMove[]>;

  /**
   * Edits a version's tags and description (everything else about a version is immutable)
   * and returns the version as it now is. Atomic against concurrent edits.
   * @throws RegistryError `unknown-model` / `unknown-version`; `invalid-input`.
   */
  annotateVersion(input: AnnotateVersionInput): Promise<ModelVersion>;

  /** Releases the connection; the registry cannot be used afterwards. */
  close(): Promise<void>;
}
