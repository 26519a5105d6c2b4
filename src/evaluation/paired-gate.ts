/**
 * The champion/challenger gate: is the candidate better than the champion (superiority), or
 * not worse by more than a margin (non-inferiority), with confidence 1 − α, judged by a paired
 * test on the same holdout rows. See ARCHITECTURE.md ("Paired comparison") for the formulas.
 */
import type { Comparison } from '../pipeline/step-params';
import { computePerRow } from './per-row';
import { normalQuantile, normalSf } from './normal';
import { delongTest, pairedMean } from './paired-tests';
import { stratifiedDelongTest } from './stratified-delong';

/** The scores of one model on the holdout, row-aligned with `labels`. */
export type RowScores = Float32Array | Float64Array;

/** The outcome of the paired gate, as written in the evaluation report and step summary. */
export interface PairedComparison {
  metric: Comparison['metric'];
  test: Comparison['test'];
  /** δ ≥ 0: superiority needs improvement > δ, non-inferiority improvement > −δ. */
  margin: number;
  alpha: number;
  method: 'DeLong' | 'DeLong within days' | 'paired z-test on per-row values';
  rows: number;
  /** With `stratify: day`: the days compared (both classes present) and those left out (one class only). */
  strata?: { by: 'day'; used: number; skipped: number; skippedRows: number };
  candidate: number;
  champion: number;
  /** Candidate minus champion in the direction where positive is better (champion − candidate for losses). */
  improvement: number;
  standardError: number;
  /** Two-sided 1 − 2α interval of the improvement; its lower end is the one-sided 1 − α bound the gate uses. */
  interval: { lower: number; upper: number; confidence: number };
  /** The bound the lower end must exceed: δ (superiority) or −δ (non-inferiority). */
  bound: number;
  /** One-sided p-value of H0: improvement ≤ bound. */
  pValue: number;
  passed: boolean;
  /** One sentence for humans: the verdict with its figures. */
  reason: string;
}

const LOWER_IS_BETTER: Record<Comparison['metric'], boolean> = { auc: false, accuracy: false, logLoss: true, brier: true, mse: true, mae: true };

/**
 * Compares `candidate` with `champion` on the same rows. Throws RangeError when the rows do
 * not line up or AUC is undefined (one class), so a comparison never passes by default.
 */
export function comparePaired(spec: Comparison, candidate: RowScores, champion: RowScores, labels: Uint8Array, threshold: number, days?: Int32Array): PairedComparison {
  if (spec.stratify === 'day') {
    if (!days) throw new RangeError('comparison.stratify is day but the holdout has no event_time column to take the days from; give the ingest step a timeColumn or remove stratify');
    const d = stratifiedDelongTest(candidate, champion, labels, days);
    const strata = { by: 'day' as const, used: d.strata, skipped: d.skippedStrata, skippedRows: d.skippedRows };
    return { ...judgePaired(spec, { candidate: d.aucA, champion: d.aucB, improvement: d.difference, standardError: d.standardError, method: 'DeLong within days', rows: labels.length }), strata };
  }
  if (spec.metric === 'auc') {
    const d = delongTest(candidate, champion, labels);
    return judgePaired(spec, { candidate: d.aucA, champion: d.aucB, improvement: d.difference, standardError: d.standardError, method: 'DeLong', rows: labels.length });
  }
  if (spec.metric === 'mse' || spec.metric === 'mae') throw new RangeError(`comparison.metric ${spec.metric} is a regression metric; a binary model is compared by auc, logLoss, brier or accuracy`);
  return comparePerRow(spec, computePerRow(spec.metric, candidate, labels, threshold), computePerRow(spec.metric, champion, labels, threshold));
}

/**
 * The paired z-test on per-row values whose mean is the metric (a loss per row, or 0/1
 * correctness): what every task's comparison other than AUC uses. Rows must line up.
 */
export function comparePerRow(spec: Comparison, candidate: Float64Array, champion: Float64Array): PairedComparison {
  const p = LOWER_IS_BETTER[spec.metric] ? pairedMean(champion, candidate) : pairedMean(candidate, champion);
  return judgePaired(spec, { candidate: mean(candidate), champion: mean(champion), improvement: p.mean, standardError: p.standardError, method: 'paired z-test on per-row values', rows: candidate.length });
}

interface PairedFigures {
  candidate: number;
  champion: number;
  improvement: number;
  standardError: number;
  method: PairedComparison['method'];
  rows: number;
}

function judgePaired(spec: Comparison, f: PairedFigures): PairedComparison {
  const se = f.standardError;
  const bound = spec.test === 'superiority' ? spec.margin : -spec.margin;
  const z = normalQuantile(1 - spec.alpha);
  const interval = { lower: f.improvement - z * se, upper: f.improvement + z * se, confidence: 1 - 2 * spec.alpha };
  // With no variance the difference is exact: it clears the bound or it does not.
  const pValue = se > 0 ? normalSf((f.improvement - bound) / se) : f.improvement > bound ? 0 : 1;
  const passed = pValue < spec.alpha;
  return {
    metric: spec.metric,
    test: spec.test,
    margin: spec.margin,
    alpha: spec.alpha,
    method: f.method,
    rows: f.rows,
    candidate: f.candidate,
    champion: f.champion,
    improvement: f.improvement,
    standardError: se,
    interval,
    bound,
    pValue,
    passed,
    reason: describe(spec, f.improvement, interval.lower, bound, pValue, passed),
  };
}

function describe(spec: Comparison, improvement: number, lower: number, bound: number, p: number, passed: boolean): string {
  const claim = spec.test === 'superiority' ? `better than the champion by more than ${spec.margin}` : `not worse than the champion by more than ${spec.margin}`;
  const figures = `${spec.metric} improvement ${fmt(improvement)}, ${fmtPct(1 - spec.alpha)} lower bound ${fmt(lower)} vs ${fmt(bound)}, p = ${fmtP(p)}`;
  return passed ? `${spec.test}: ${claim} (${figures})` : `${spec.test} not shown: the candidate is not ${claim} with confidence ${fmtPct(1 - spec.alpha)} (${figures})`;
}

function mean(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

const fmt = (x: number): string => (Math.abs(x) >= 0.0001 || x === 0 ? x.toFixed(4) : x.toExponential(2));
const fmtPct = (x: number): string => `${+(x * 100).toFixed(2)}%`;
const fmtP = (p: number): string => (p >= 0.001 ? p.toFixed(4) : p.toExponential(2));
