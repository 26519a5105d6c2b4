/**
 * Fan-in: which of several candidates is carried forward. The best by the primary metric
 * wins; a tie goes to the earlier candidate (spec order), so the choice is deterministic.
 */
import type { MetricName } from '../pipeline/step-params';
import type { MetricValues } from './gates';

/** Whether more or less of a metric is better. */
export const METRIC_GOALS: Record<MetricName, 'max' | 'min'> = {
  auc: 'max',
  logLoss: 'min',
  accuracy: 'max',
  precision: 'max',
  recall: 'max',
  f1: 'max',
  brier: 'min',
  ece: 'min',
  macroF1: 'max',
  weightedF1: 'max',
  minClassRecall: 'max',
  rmse: 'min',
  mae: 'min',
  r2: 'max',
  mape: 'min',
  msPerRow: 'min',
  singleRowMs: 'min',
  modelBytes: 'min',
};

export interface Selection {
  /** Index of the chosen candidate. */
  index: number;
  /** One sentence for the report, e.g. `highest auc: 0.7012 (train-gbm) vs 0.6841 (train-builtin)`. */
  reason: string;
}

/**
 * Picks the best of `candidates` by `metric`. A candidate whose metric is missing or NaN
 * never beats one that has it; when none has it, the first candidate is kept.
 */
export function selectCandidate(candidates: { id: string; metrics: MetricValues }[], metric: MetricName): Selection {
  if (candidates.length === 0) throw new RangeError('selectCandidate: no candidates');
  const goal = METRIC_GOALS[metric];
  const value = (i: number): number | null => {
    const v = candidates[i].metrics[metric];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  let best = 0;
  for (let i = 1; i < candidates.length; i++) {
    const v = value(i);
    const b = value(best);
    if (v === null) continue;
    if (b === null || (goal === 'max' ? v > b : v < b)) best = i;
  }
  if (candidates.length === 1) return { index: 0, reason: `only candidate: ${candidates[0].id}` };
  if (value(best) === null) return { index: best, reason: `no candidate has a ${metric}; kept the first, ${candidates[best].id}` };
  const others = candidates
    .map((c, i) => ({ c, v: value(i) }))
    .filter((_, i) => i !== best)
    .map(({ c, v }) => `${v === null ? 'n/a' : v.toFixed(4)} (${c.id})`);
  return {
    index: best,
    reason: `${goal === 'max' ? 'highest' : 'lowest'} ${metric}: ${value(best)!.toFixed(4)} (${candidates[best].id}) vs ${others.join(', ')}`,
  };
}
