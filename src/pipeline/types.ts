/**
 * Values that cross the workflow/activity boundary. Everything here is plain JSON:
 * datasets and model bytes never travel through Temporal payloads, only references to them.
 */

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

/** What a step hands to the steps that depend on it. */
export interface StepOutput {
  /** Artifacts by logical name. */
  artifacts: Record<string, ArtifactRef>;
  /** Small JSON summary shown in the run's status (row counts, metrics, verdicts). */
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

/** What the workflow sends to every step activity. */
export interface StepRequest {
  ctx: StepContext;
  /** The step's parsed `with` parameters. */
  params: Record<string, unknown>;
  /** Outputs of every step this one depends on, directly or transitively, by step id. */
  inputs: Record<string, StepOutput>;
}

/** A step activity's answer: its output plus the attempt that produced it. */
export interface StepResult extends StepOutput {
  attempt: number;
}

/** The resolve activity's answer: the validated spec, where it came from, and its digest. */
export interface ResolvedPipeline {
  spec: import('./spec-schema').PipelineSpec;
  specDigest: string;
  /** `pipelines/flight-delay.yaml` or `inline`. */
  source: string;
}
