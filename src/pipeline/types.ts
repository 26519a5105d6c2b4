/**
 * Values that cross the workflow/activity boundary. Everything here is plain JSON:
 * datasets and model bytes never travel through Temporal payloads, only references to them.
 */
import type { TaskQueues } from '../topology/task-queues';
import type { PipelineSpec } from './spec-schema';
import type { StepKindName } from './step-kinds';
import type { StepSummaries } from './step-summaries';

/** A content-addressed file in the artifact store. */
export interface ArtifactRef {
  /** Store-relative URI, e.g. `artifact://sha256/<hex>`; resolved by an {@link ArtifactStore}. */
  uri: string;
  /** Hex sha256 of the file's bytes; checked on every read. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
  /** Logical name, e.g. `train`, `holdout`, `model`, `report`. */
  name: string;
  /** e.g. `application/vnd.apache.parquet`, `application/onnx`, `application/json`. */
  mediaType: string;
  /** Small, JSON-serialisable facts about the artifact (row counts, schema, metrics). */
  meta?: Record<string, unknown>;
}

/** What a step of kind `K` produces: artifacts by logical name and the kind's summary (step-summaries.ts). */
export interface StepOutputBody<K extends StepKindName> {
  /** Artifacts by logical name. */
  artifacts: Record<string, ArtifactRef>;
  /** Small JSON summary shown in the run's status (row counts, metrics, verdicts). */
  summary: StepSummaries[K];
}

/**
 * What a step hands to the steps that depend on it: its kind with that kind's summary. Without
 * a type argument, the union of every kind's output, narrowed by `kind` (or by the look-ups in
 * step-outputs.ts).
 */
export type StepOutput<K extends StepKindName = StepKindName> = { [P in K]: StepOutputBody<P> & { kind: P } }[K];

/**
 * A step output as it was recorded: the workflow's history, step records and the content cache
 * hold outputs from before outputs carried their `kind`. Read it through `withKind` (step-outputs.ts),
 * which takes the kind from the step spec.
 */
export interface RecordedStepOutput {
  kind?: StepKindName;
  artifacts: Record<string, ArtifactRef>;
  summary: Record<string, unknown>;
}

/** Identifies one run of one step; used as the idempotency key of its side effects. */
export interface StepContext {
  workflowId: string;
  runId: string;
  stepId: string;
  pipeline: string;
  model: string;
  specDigest: string;
}

/** A human decision on a manual promotion, made through the workflow's approve/reject updates. */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  /** Who decided, as verified (a signed decision token, or the dev principal); `timeout` when nobody did in time. */
  approver: string;
  reason: string;
  at: string;
  /** How `approver` was established: `token` (signed by the API/CLI), `dev` (SLIPWAY_DEV_PRINCIPAL), absent in runs from before verification. */
  verifiedBy?: 'token' | 'dev';
  /** The name the request claimed, when it was not verifiable and the dev principal stood in. */
  claimed?: string;
  /** The signed decision token, re-checked by the promote activity before the alias moves. */
  token?: string;
}

/** The principal a run acts for, as the resolve activity established it (src/auth/run-authority.ts). */
export interface RunAuthority {
  /** A principal name, `dev:<name>`, or `unverified`. */
  principal: string;
  /** `ticket`: a signed run ticket; `dev`: the dev principal stood in; `none`: nothing verifiable. */
  via: 'ticket' | 'dev' | 'none';
  /**
   * Who allowed an automatic promotion: `owner` (the principal owns the model), `pipeline` (the
   * owner's named pipeline, unchanged in owner fields), or `approval-only` (promotion waits for an approval).
   */
  promotion: 'owner' | 'pipeline' | 'approval-only';
}

/** What the workflow sends to every step activity. */
export interface StepRequest {
  /** Set by the workflow (never by a spec) on promote steps in manual mode. */
  approval?: ApprovalDecision;
  /** Who the run acts for, from its resolution; absent in runs from before run tickets. */
  authority?: RunAuthority;
  ctx: StepContext;
  /** The step's parsed `with` parameters. */
  params: Record<string, unknown>;
  /** Outputs of every step this one depends on, directly or transitively, by step id, in dependency order. */
  inputs: Record<string, StepOutput>;
  /** How to use the content cache; absent: not cached (opted out, a `never` kind, or a run from before caching). */
  cache?: CacheDirective;
}

/**
 * `use`: reuse the output cached under the step's content key when its artifacts still verify,
 * otherwise run and cache. `rerun`: run even when a cached output exists (the run's `rerun` list), then cache.
 */
export interface CacheDirective {
  mode: 'use' | 'rerun';
}

/** What the content cache did for one step; shown in the run's status. */
export interface StepCacheInfo {
  /**
   * `hit`: the recorded output was reused and the step did not run. `miss`: it ran and its output
   * was cached. `rerun`: it was forced to run, and its output replaced the cached one.
   * `uncacheable`: it ran but could not be cached this time (see `reason`).
   */
  outcome: 'hit' | 'miss' | 'rerun' | 'uncacheable';
  /** Hex sha256 content key: kind, step-code version, parameters, input artifact digests, external inputs. */
  key?: string;
  /** For a hit: the step run that produced the reused output. */
  producedBy?: { workflowId: string; runId: string; stepId: string; at: string };
  reason?: string;
}

/** A step activity's answer: its output plus the attempt that produced it. */
export type StepResult<K extends StepKindName = StepKindName> = StepOutput<K> & StepRunFacts;

/** A step activity's answer as recorded (see {@link RecordedStepOutput}). */
export type RecordedStepResult = RecordedStepOutput & StepRunFacts;

export interface StepRunFacts {
  attempt: number;
  cache?: StepCacheInfo;
}

/** The resolve activity's answer: the validated spec, where it came from, and its digest. */
export interface ResolvedPipeline {
  spec: PipelineSpec;
  specDigest: string;
  /** `pipelines/flight-delay.yaml` or `inline`. */
  source: string;
  /** Step ids the input forces to run despite a cached output (`*`: all); absent in runs from before caching. */
  rerun?: string[];
  /**
   * Where each kind of work runs, as configured on the orchestration worker that resolved the
   * spec (absent: everything on the workflow's own queue; runs before `slipway-lean-run` asked a local activity).
   */
  taskQueues?: TaskQueues;
  /** Who the run acts for (absent in runs from before run tickets). */
  authority?: RunAuthority;
}
