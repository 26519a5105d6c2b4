/**
 * The recent-traffic gate (evaluate `recent`): the chosen candidate must also pass the paired
 * champion/challenger test on the newest labelled rows the model server logged, not only on the
 * pipeline's holdout. Pure: the rules for too few labels, the comparison's settings and the
 * outcome the report and the `blessed` decision read. Scoring is in src/activities/evaluate-recent.ts.
 */
import type { Comparison, EvaluateParams, RecentComparisonParams } from '../pipeline/step-params';
import { comparisonSchema } from '../pipeline/step-params';
import type { PairedComparison } from './paired-gate';

/** What the report, the step summary and the alias move's evidence say about the recent window. */
export interface RecentComparison {
  /** The served model whose log was read and the window, as epoch-ms bounds in ISO form. */
  served: { model: string; window: string; from: string; to: string };
  /** Labelled rows in the window (predictions whose feedback label arrived). */
  labelled: number;
  minLabels: number;
  onTooFewLabels: RecentComparisonParams['onTooFewLabels'];
  /** `compared`: the paired test ran; `blocked`/`skipped`: too few labels, by the rule. */
  outcome: 'compared' | 'blocked' | 'skipped';
  /** The paired test on the recent rows (only when compared). */
  comparison?: PairedComparison;
  /** False blocks the blessing; true when the test passed or the rule skipped it. */
  passed: boolean;
  /** One sentence for humans, prefixed `recent served traffic:`. */
  reason: string;
}

/**
 * The paired test's settings on the recent rows: those written under `recent.comparison`, else
 * the step's holdout `comparison` (without `stratify`: served rows carry no holdout day), else
 * the comparison defaults (superiority on AUC at α 0.05) when the holdout comparison is `off`.
 */
export function recentComparisonSpec(params: Pick<EvaluateParams, 'comparison'>, recent: RecentComparisonParams): Comparison {
  const base = params.comparison === 'off' ? comparisonSchema.parse({}) : params.comparison;
  const { stratify: _stratify, ...rest } = base;
  return comparisonSchema.parse({ ...rest, ...recent.comparison });
}

/** The outcome with too few labelled rows, by `onTooFewLabels`. */
export function tooFewLabels(recent: RecentComparisonParams, served: RecentComparison['served'], labelled: number): RecentComparison {
  const base = { served, labelled, minLabels: recent.minLabels, onTooFewLabels: recent.onTooFewLabels };
  const count = `${labelled} labelled row${labelled === 1 ? '' : 's'} of model "${served.model}" in the last ${served.window}, fewer than minLabels ${recent.minLabels}`;
  return recent.onTooFewLabels === 'block'
    ? { ...base, outcome: 'blocked', passed: false, reason: `recent served traffic: ${count}; not blessed without that evidence (onTooFewLabels: block)` }
    : { ...base, outcome: 'skipped', passed: true, reason: `recent served traffic: ${count}; comparison skipped (onTooFewLabels: skip)` };
}

/** The outcome of a paired test that ran on the recent rows. */
export function compared(recent: RecentComparisonParams, served: RecentComparison['served'], comparison: PairedComparison): RecentComparison {
  return {
    served,
    labelled: comparison.rows,
    minLabels: recent.minLabels,
    onTooFewLabels: recent.onTooFewLabels,
    outcome: 'compared',
    comparison,
    passed: comparison.passed,
    reason: `recent served traffic (${comparison.rows} labelled rows of model "${served.model}", last ${served.window}): ${comparison.reason}`,
  };
}
