/**
 * Scores models on one simulated week: the week's real flights (features derived as the
 * ingest step derives them, label delay > 15 min) written once to Parquet, then each model
 * scored on every row with onnxruntime, as the evaluate step scores a holdout.
 */
import path from 'node:path';
import { computeMetrics } from '../../src/evaluation/metrics';
import { scoreModel } from '../../src/evaluation/score-model';
import { writeFlightsWindow } from '../../src/data/flights-window';
import type { WeekScore } from '../../src/console/simulation-report';

/** A week of flights on disk. */
export interface WeekData {
  from: string;
  to: string;
  path: string;
  rows: number;
}

/** Writes flights with `from <= date < to` of `source` (default: the shipped flights file) under `dir`. */
export async function writeWeek(dir: string, from: string, to: string, source?: string): Promise<WeekData> {
  const file = path.join(dir, `flights-${from}-${to}.parquet`);
  return { from, to, path: file, rows: await writeFlightsWindow(file, from, to, source) };
}

/** Scores the ONNX model at `modelPath` on every flight of the week. */
export async function scoreWeek(modelPath: string, week: WeekData): Promise<WeekScore> {
  const scored = await scoreModel(modelPath, week.path, { label: 'label', singleRowSamples: 0 });
  const m = computeMetrics(scored.scores, scored.labels);
  return { auc: m.auc, logLoss: m.logLoss, accuracy: m.accuracy, rows: scored.rows, positiveRate: m.positiveRate };
}
