/**
 * Everything the evaluate step knows about one model on one holdout: the metrics, the
 * inference cost, the size, the metrics per slice and a ROC curve for the report. Every
 * candidate and the champion go through this one function, on the same rows.
 */
import { calibrationCurve, computeMetrics, rocCurve, type CalibrationBin, type RocPoint } from './metrics';
import { scoreModel } from './score-model';
import { sliceMetrics, type SliceKeys, type SliceResult } from './slices';
import type { MetricValues, SliceTable } from './gates';
import type { TaskSliceResult } from './evaluate-task-model';

/** Options of {@link evaluateModel}. */
export interface EvaluateModelOptions {
  label: string;
  threshold: number;
  /** Slices of the holdout's rows, read once with `readSliceKeys`. */
  slices: SliceKeys[];
  /** Size of the model file, reported as the `modelBytes` metric. */
  modelBytes: number;
  /** @default 101 */
  rocPoints?: number;
}

export interface ModelEvaluation {
  /** Holdout rows scored. */
  rows: number;
  /** Binary metrics (NaN where undefined, e.g. AUC on one class) plus msPerRow, singleRowMs, modelBytes. */
  metrics: Record<string, number>;
  /** Per sliced column, one entry per slice value in report order. */
  slices: Record<string, SliceResult[]>;
  roc: RocPoint[];
  /** P(label = 1) per holdout row, in file order: what the paired champion/challenger test compares. */
  scores: Float32Array;
  labels: Uint8Array;
  /** Reliability diagram (10 bins), for calibration plots. */
  calibration: CalibrationBin[];
}

export async function evaluateModel(modelPath: string, holdoutPath: string, o: EvaluateModelOptions): Promise<ModelEvaluation> {
  const scored = await scoreModel(modelPath, holdoutPath, { label: o.label });
  const { rows, ...binary } = computeMetrics(scored.scores, scored.labels, o.threshold);
  const slices: Record<string, SliceResult[]> = {};
  for (const keys of o.slices) slices[keys.column] = sliceMetrics(scored.scores, scored.labels, keys, o.threshold);
  return {
    rows,
    metrics: { ...binary, msPerRow: scored.msPerRow, singleRowMs: scored.singleRowMs, modelBytes: o.modelBytes },
    slices,
    roc: rocCurve(scored.scores, scored.labels, o.rocPoints ?? 101),
    scores: scored.scores,
    labels: scored.labels,
    calibration: calibrationCurve(scored.scores, scored.labels),
  };
}

/** The slices of an evaluation in the shape the gates read. */
export function sliceTable(slices: Record<string, Array<SliceResult | TaskSliceResult>>): SliceTable {
  const table: SliceTable = {};
  for (const [column, results] of Object.entries(slices)) {
    table[column] = Object.fromEntries(results.map((r) => [r.value, r.metrics as MetricValues | null]));
  }
  return table;
}
