/**
 * The summary each step kind hands on, declared once per kind in {@link StepSummaries}: the
 * producing activity returns it (a renamed field fails to compile there) and consumers read it
 * through the typed look-ups of step-outputs.ts (a renamed field fails to compile there too).
 * Types (and one compile-time check), so the workflow bundle may import it. Summaries are plain JSON,
 * shown in the run's status.
 */
import type { CanaryVerdict } from '../canary/canary-state';
import type { TimeWindow } from '../data/source-path';
import type { GateResult } from '../evaluation/gates';
import type { PairedComparison } from '../evaluation/paired-gate';
import type { RecentComparison } from '../evaluation/recent-gate';
import type { reportSummary } from '../validation/validation-report';
import type { Task } from './label-spec';
import type { TrainParams } from './step-params';
import type { ApprovalDecision } from './types';
import type { StepKindName } from './step-kinds';

export type IngestSummary = {
  source: string;
  /** Number of source files read. */
  sourceFiles: number;
  window: TimeWindow;
  replay?: { now: string; window: string };
  /** sha256 over the train and holdout snapshots' digests: the data's identity in lineage. */
  dataDigest: string;
  trainRows: number;
  holdoutRows: number;
  trainPositiveRate: number | null;
  holdoutPositiveRate: number | null;
  /** First event time in the holdout (as DuckDB returned it); null without holdout rows. */
  holdoutFrom: unknown;
  label: string;
  features: string[];
  /** Columns with values that did not convert. */
  conversionFailures: number;
  /** The source.select the rows came through, when the spec has one. */
  select?: string;
};

/** A batch an approver released from quarantine: who accepted it and why. */
export type DataRelease = { dataDigest: string; by: string; at: string; reason: string };

export type ValidateSummary = ReturnType<typeof reportSummary> & {
  timingsMs: Record<string, number>;
  /** Present when the batch passed only because an approver released it. */
  release?: DataRelease;
};

export type TrainSummary = {
  trainer: string;
  trainerVersion?: string;
  /** The spec's `trainer` (`builtin`, `command` or a registered trainer's name). */
  trainerKind: string;
  registeredTrainer?: string;
  command?: string[];
  params: Record<string, unknown>;
  seed: number;
  features: TrainParams['features'];
  trainMetrics: Record<string, number | null>;
  trainRows?: number | null;
  finalLoss?: number | null;
  trainSeconds: number;
  modelBytes: number;
  /** With `params.warmStart`: the champion the fit started from, null when there was none to start from (cold). */
  warmStartedFrom?: { version: number; sha256: string } | null;
};

/** A candidate brought in by an `import` step. */
export type ImportSummary = {
  /** `models:/<name>/<version>` or `file:<path>`. */
  source: string;
  /** Lineage's trainer name (`imported`, or the registered version's trainer). */
  trainer: string;
  /** sha256 of the ONNX bytes. */
  digest: string;
  /** Who brought the model in: its importer, or the principal of the run for a file. */
  importedBy: string;
  task: Task;
  features: { numeric: string[]; categorical: string[] };
  modelBytes: number;
};

/** A `command` step: the program, the digests it read and wrote, and its own summary.json. */
export type CommandSummary = {
  program: string;
  /** Input name → sha256 of the artifact it was given. */
  inputs: Record<string, string>;
  outputs: Record<string, { sha256: string; bytes: number }>;
  seconds: number;
  /** The program's summary.json (flat values). */
  result: Record<string, string | number | boolean | null>;
};

/** One scored candidate; the primary metric's value is under its own name (e.g. `auc`). */
export type CandidateLine = { step: string; trainer?: string; modelBytes: number } & Record<string, string | number | null | undefined>;

export type EvaluateSummary = {
  blessed: boolean;
  reasons: string[];
  primaryMetric: string;
  /** The label's task when not binary (binary summaries carry none, as before tasks existed). */
  task?: 'multiclass' | 'regression';
  /** The candidate carried forward: its train step, trainer and why it won. */
  chosen: { step: string; trainer?: string; reason: string };
  metrics: Record<string, number>;
  msPerRow?: number;
  candidates: CandidateLine[];
  champion: { version: number | undefined; metrics: Record<string, number> } | null;
  gates: GateResult[];
  comparison: PairedComparison | null;
  /** With `recent` in the spec: the paired test on the recent labelled served rows (null without a champion). */
  recent?: RecentComparison | null;
  /** URIs of the JSON report and its HTML page. */
  report: string;
  page: string;
};

export type RegisterSummary = { model: string; version: number; blessed: boolean | null };

/** One traffic step of a canary as the pipeline sees it. */
export type CanaryStepLine = { weight: number; verdict: string | null; decision: string | null; phase?: 'shadow' };

export type CanarySummary = {
  canaryVerdict: CanaryVerdict | undefined;
  workflowId?: string;
  candidate?: number;
  champion?: number | null;
  weight?: number;
  steps?: CanaryStepLine[];
  reasons: string[];
  /** URI of the canary report. */
  report?: string;
};

export type PromoteSummary = {
  outcome: 'promoted' | 'rejected';
  version: number;
  alias: string;
  /** The alias's version when the promotion was refused. */
  championVersion?: number | null;
  previousVersion?: number | null;
  canary?: CanaryVerdict;
  approval?: Omit<ApprovalDecision, 'token'>;
  reasons: string[];
  /** What the model server did when told to follow the new champion. */
  serving?: Record<string, unknown>;
};

export type NoopSummary = { noop: true; upstream: number };

/** The summary type of every step kind. */
export interface StepSummaries {
  ingest: IngestSummary;
  validate: ValidateSummary;
  train: TrainSummary;
  import: ImportSummary;
  command: CommandSummary;
  evaluate: EvaluateSummary;
  register: RegisterSummary;
  canary: CanarySummary;
  promote: PromoteSummary;
  noop: NoopSummary;
}

// Every kind in STEP_KINDS has a summary type, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const SUMMARY_KINDS_MATCH: Exact<keyof StepSummaries, StepKindName> = true;
