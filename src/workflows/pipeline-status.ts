/** Shapes returned by the `status` query and by the pipeline workflow. Types only. */
import type { RecordedStepOutput, StepCacheInfo } from '../pipeline/types';
import type { ApprovalState } from './approval-gate';

/** `cached`: finished by reusing the output of an earlier run with the same content key. */
export type StepState = 'pending' | 'running' | 'succeeded' | 'cached' | 'failed' | 'skipped';

export interface StepStatus {
  id: string;
  kind: string;
  state: StepState;
  /** Attempts the activity used (1 when it succeeded first time). */
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  summary?: Record<string, unknown>;
  error?: { type?: string; message: string };
  /** What the content cache did: outcome, key and, when `cached`, the run that produced the output. */
  cache?: StepCacheInfo;
}

export type PipelineStage = 'resolving' | 'running' | 'completed' | 'failed';

/** `promoted`/`rejected` come from a promote step; `completed` when the pipeline has none. */
export type PipelineOutcome = 'promoted' | 'rejected' | 'completed' | 'failed';

export interface PipelineStatus {
  workflowId: string;
  runId: string;
  pipeline?: string;
  model?: string;
  specDigest?: string;
  stage: PipelineStage;
  runningSteps: string[];
  steps: StepStatus[];
  outcome?: PipelineOutcome;
  /** The manual promotion of this run, when its promote step is in manual mode. */
  approval?: ApprovalState;
}

export interface PipelineResult extends PipelineStatus {
  outcome: PipelineOutcome;
  /**
   * Outputs of every step, by step id: kind, artifact references and summary. Results of runs
   * from before outputs carried their kind have none; typed reads go through `steps` and `summaryOf`
   * (src/pipeline/step-outputs.ts), whose kinds come from the spec.
   */
  outputs: Record<string, RecordedStepOutput>;
}
