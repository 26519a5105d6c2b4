/**
 * The evaluation report: one JSON document with every figure behind the verdict, stored
 * as an artifact next to a readable HTML rendering of it (report-html.ts).
 */
import type { GateResult } from './gates';
import type { PairedComparison } from './paired-gate';
import type { RecentComparison } from './recent-gate';
import type { CalibrationBin, RocPoint } from './metrics';
import type { SliceResult } from './slices';
import type { TaskDetail, TaskSliceResult } from './evaluate-task-model';

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
  slices: Record<string, Array<SliceResult | TaskSliceResult>>;
  /** Binary models only; empty for multiclass and regression. */
  roc: RocPoint[];
  /** Multiclass: per-class figures and the confusion matrix; regression: residual quantiles. Absent for binary. */
  detail?: TaskDetail;
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
  /** The label's task; absent in binary reports (as before tasks existed). */
  task?: 'multiclass' | 'regression';
  /** Multiclass: the class list, in the models' probability column order. */
  classes?: string[];
  /** Binary only: the score at which a row is predicted positive. */
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
  /** With `recent` in the spec: the paired test on the recent labelled served rows (null without a champion). */
  recent?: RecentComparison | null;
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

/** Formulas of the per-task metrics and comparisons, added to the report's `formulas` for those tasks. */
export const TASK_FORMULAS = {
  multiclass: {
    logLoss: 'logLoss = -(1/n) sum_i log(clip(p[i, y_i], 1e-15, 1))',
    accuracy: 'accuracy = (1/n) #{argmax_k p[i, k] = y_i} (first maximum wins)',
    f1: 'per class k: precision_k = tp_k / predicted_k, recall_k = tp_k / support_k, F1_k = 2 P R / (P + R) (0 when undefined); macroF1 = mean over all K classes; weightedF1 = sum_k (support_k / n) F1_k',
    minClassRecall: 'minClassRecall = min over classes with support > 0 of recall_k',
    confusion: 'confusion[t][p] = #{y_i = t, argmax_k p[i, k] = p}',
    comparisonPerRow: 'paired comparison per row: log loss -log(clip(p[i, y_i])) or 0/1 correctness',
  },
  regression: {
    rmse: 'rmse = sqrt((1/n) sum_i (y_i - yhat_i)^2)',
    mae: 'mae = (1/n) sum_i |y_i - yhat_i|',
    r2: 'r2 = 1 - sum_i (y_i - yhat_i)^2 / sum_i (y_i - mean(y))^2 (undefined for a constant target)',
    mape: 'mape = (1/n) sum_i |y_i - yhat_i| / |y_i| as a fraction; undefined (missing) when any y_i = 0',
    residuals: 'residual r_i = y_i - yhat_i; meanResidual = (1/n) sum_i r_i; quantiles p5..p95 by linear interpolation (NumPy linear)',
    comparisonPerRow: 'paired comparison per row: squared error (mse) or absolute error (mae)',
  },
} as const;
