/**
 * The evaluation report: one JSON document with every figure behind the verdict, stored
 * as an artifact next to a readable HTML rendering of it (report-html.ts).
 */
import type { GateResult } from './gates';
import type { PairedComparison } from './paired-gate';
import type { CalibrationBin, RocPoint } from './metrics';
import type { SliceResult } from './slices';

/** One scored model: a candidate or the champion. */
export interface ReportEntry {
  /** The train step id for a candidate, `champion v<N>` for the champion. */
  id: string;
  role: 'candidate' | 'champion';
  artifact: { uri: string; sha256: string; bytes: number };
  trainer?: string;
  trainerVersion?: string;
  /** Registry version, for the champion. */
  version?: number;
  /** Holdout rows scored: the same for every entry. */
  rows: number;
  /** NaN (not computable) is written as null. */
  metrics: Record<string, number>;
  slices: Record<string, SliceResult[]>;
  roc: RocPoint[];
  /** Reliability diagram; absent in reports written before it was recorded. */
  calibration?: CalibrationBin[];
}

export interface EvaluationReport {
  kind: 'evaluation-report';
  model: string;
  pipeline: string;
  workflowId: string;
  runId: string;
  step: string;
  holdout: { uri: string; sha256: string; rows: number; label: string };
  threshold: number;
  primaryMetric: string;
  firstRun: 'pass' | 'fail';
  /** Every candidate, in spec order, all scored on the same holdout rows. */
  candidates: ReportEntry[];
  /** The candidate carried forward (best by the primary metric) and why. */
  chosen: { id: string; reason: string };
  champion: ReportEntry | null;
  gates: GateResult[];
  /** The paired champion/challenger test of the chosen candidate; null without a champion or when turned off. */
  comparison: PairedComparison | null;
  blessed: boolean;
  reasons: string[];
  /** How each gate's observed value is computed. */
  formulas: Record<string, string>;
}

export const GATE_FORMULAS = {
  value: 'observed = candidate.metric; passes when min <= observed <= max',
  delta: 'observed = candidate.metric - champion.metric; passes when min <= observed <= max',
  relative: 'observed = (candidate.metric - champion.metric) / |champion.metric|; passes when min <= observed <= max',
  slice: 'a sliced gate applies the same formula to the metric computed on the rows of one slice, e.g. candidate.auc[origin=ORD]',
  comparison:
    'improvement = candidate - champion (champion - candidate for losses) on the same rows; DeLong standard error for AUC, sd(per-row difference)/sqrt(n) otherwise; ' +
    'passes when the one-sided 1-alpha lower bound exceeds margin (superiority) or -margin (non-inferiority), i.e. p < alpha',
  missing: 'a missing or non-finite metric fails its gate; without a champion, delta and relative gates follow firstRun',
} as const;
