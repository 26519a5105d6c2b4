/**
 * The canary's score-shift and live-quality checks for multiclass and regression models (pure;
 * binary models keep the checks in analysis.ts and sequential-hold.ts). A window carries its
 * task's figures only when the model server has them, so binary canaries, recorded or new, never
 * reach this module.
 *
 * - score shift, multiclass: PSI of each class's probability (the champion's 20 bins merged to 10,
 *   as for binary scores); the check reads the largest and fails when any class is over its limit.
 * - score shift, regression: PSI of the predicted value over 10 bins at the champion's deciles
 *   (the server's fixed asinh grid merged by `mergeByQuantiles`).
 * - live quality, multiclass: accuracy (as binary) and log loss, which fails when the canary's is
 *   higher than the champion's by more than `maxLogLossIncrease` beyond sampling error.
 * - live quality, regression: MAE, which fails when the canary's exceeds the champion's by more
 *   than `maxMaeIncrease` (relative) beyond sampling error; SE(MAE) = √((RMSE² − MAE²)/n).
 *
 * Sampling error is one-sided 95% in a fixed hold and an always-valid confidence sequence
 * (confidence-sequence.ts) in a sequential one, as for the binary checks.
 */
import type { CanaryAnalysisParams } from '../pipeline/step-params';
import { mergeByQuantiles, populationStabilityIndex } from '../serving/histogram';
import type { Baseline, CheckResult, VersionWindow } from './analysis';
import { degradationCheck } from './degradation-check';

/** Defaults of the per-task thresholds (optional in the spec, so parsed specs stay as they were). */
export const TASK_THRESHOLD_DEFAULTS = { maxLogLossIncrease: 0.05, maxMaeIncrease: 0.1 } as const;

const PSI_BINS = 10;

const round = (x: number | null, digits = 4): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
const sum = (h: number[]) => h.reduce((a, b) => a + b, 0);

/** PSI with a 0.5 pseudo-count per bin and its small-sample allowance, over already-matched bins. */
function psiOf(champion: number[], canary: number[], maxPsi: number): { psi: number; limit: number } | undefined {
  const n1 = sum(champion);
  const n2 = sum(canary);
  if (n1 === 0 || n2 === 0) return undefined;
  const k = champion.length;
  return { psi: populationStabilityIndex(champion.map((c) => c + 0.5), canary.map((c) => c + 0.5)), limit: maxPsi + (k - 1) * (1 / n1 + 1 / n2) };
}

const pairs = (h: number[]) => Array.from({ length: PSI_BINS }, (_, i) => h.slice((i * h.length) / PSI_BINS, ((i + 1) * h.length) / PSI_BINS).reduce((a, b) => a + b, 0));

/** The score-shift check of a multiclass or regression canary; undefined for binary windows. */
export function taskScoreShift(baseline: Baseline | undefined, canary: VersionWindow, maxPsi: number): CheckResult | undefined {
  if (canary.task === 'multiclass' && canary.classScoreCounts) {
    const champion = baseline?.classScoreCounts;
    if (!champion || champion.length !== canary.classScoreCounts.length) {
      return { name: 'scoreShift', verdict: 'inconclusive', canary: null, baseline: null, limit: maxPsi, message: 'no champion class-probability distributions to compare with' };
    }
    const shifts = champion.map((h, c) => psiOf(pairs(h), pairs(canary.classScoreCounts![c]), maxPsi));
    if (shifts.some((s) => s === undefined)) {
      return { name: 'scoreShift', verdict: 'inconclusive', canary: null, baseline: null, limit: maxPsi, message: 'no champion class-probability distributions to compare with' };
    }
    const over = shifts.map((s, c) => ({ c, ...s! })).sort((a, b) => b.psi - b.limit - (a.psi - a.limit));
    const worst = over[0];
    const failed = over.filter((s) => s.psi > s.limit);
    return {
      name: 'scoreShift',
      verdict: failed.length > 0 ? 'fail' : 'pass',
      canary: round(worst.psi),
      baseline: 0,
      limit: round(worst.limit),
      message: `class-probability PSI against the champion, largest for class #${worst.c}: ${worst.psi.toFixed(3)} (limit ${worst.limit.toFixed(3)})${failed.length > 0 ? `; ${failed.length} of ${over.length} classes over their limit` : `; all ${over.length} classes within`}`,
    };
  }
  if (canary.task === 'regression' && canary.valueCounts) {
    const champion = baseline?.valueCounts;
    const merged = champion && champion.length === canary.valueCounts.length ? mergeByQuantiles(champion, canary.valueCounts, PSI_BINS) : undefined;
    const shift = merged && psiOf(merged.reference, merged.other, maxPsi);
    if (!shift) return { name: 'scoreShift', verdict: 'inconclusive', canary: null, baseline: null, limit: maxPsi, message: 'no champion distribution of predicted values to compare with' };
    return {
      name: 'scoreShift',
      verdict: shift.psi > shift.limit ? 'fail' : 'pass',
      canary: round(shift.psi),
      baseline: 0,
      limit: round(shift.limit),
      message: `predicted-value PSI ${shift.psi.toFixed(3)} against the champion over ${merged!.reference.length} bins at its quantiles (limit ${shift.limit.toFixed(3)})`,
    };
  }
  return undefined;
}

/**
 * Live quality of a multiclass or regression canary since it began; undefined for binary windows.
 * @param alpha the sequential hold's level; undefined for a fixed hold (one-sided 95%)
 * @param passWithinMargin sequential only: a check passes only while its estimate is within the margin
 */
export function taskQualityChecks(canary: VersionWindow, champion: VersionWindow, t: CanaryAnalysisParams & { maxLogLossIncrease?: number; maxMaeIncrease?: number }, lastStep: boolean, alpha?: number, passWithinMargin = false): CheckResult[] | undefined {
  if (canary.task !== 'multiclass' && canary.task !== 'regression') return undefined;
  const labelled = canary.labels >= t.minLabels && champion.labels >= t.minLabels;
  const counts = `${canary.labels} canary and ${champion.labels} champion labels so far`;
  const waiting = t.requireLabels && lastStep ? 'inconclusive' : 'pending';
  const first = canary.task === 'multiclass' ? 'liveLogLoss' : 'liveMae';
  if (!labelled && alpha === undefined) return [{ name: first, verdict: waiting, canary: null, baseline: null, limit: null, message: `${counts}, ${t.minLabels} each needed to judge live quality` }];

  const worse = (name: CheckResult['name'], label: string, c: number | null | undefined, b: number | null | undefined, se: number, allowed: number, higherIsWorse: boolean): CheckResult =>
    degradationCheck({ name, label, canary: c, baseline: b, se, allowed, higherIsWorse, labelled, waiting, counts, minLabels: t.minLabels, alpha, passWithinMargin, samples: { canary: canary.labels, champion: champion.labels } });

  if (canary.task === 'multiclass') {
    const seLoss = Math.hypot((canary.logLossSd ?? 0) / Math.sqrt(Math.max(1, canary.labels)), (champion.logLossSd ?? 0) / Math.sqrt(Math.max(1, champion.labels)));
    const accSe = (w: VersionWindow) => (w.accuracy == null || w.labels === 0 ? 0 : (w.accuracy * (1 - w.accuracy) + 1 / w.labels) / w.labels);
    return [
      worse('liveLogLoss', 'log loss', canary.logLoss, champion.logLoss, seLoss, t.maxLogLossIncrease ?? TASK_THRESHOLD_DEFAULTS.maxLogLossIncrease, true),
      worse('liveAccuracy', 'accuracy', canary.accuracy, champion.accuracy, Math.sqrt(accSe(canary) + accSe(champion)), t.maxAccuracyDrop, false),
    ];
  }
  const maeSe = (w: VersionWindow) => (w.rmse == null || w.mae == null || w.labels === 0 ? 0 : Math.max(0, w.rmse * w.rmse - w.mae * w.mae) / w.labels);
  const allowed = (champion.mae ?? 0) * (t.maxMaeIncrease ?? TASK_THRESHOLD_DEFAULTS.maxMaeIncrease);
  return [worse('liveMae', 'MAE', canary.mae, champion.mae, Math.sqrt(maeSe(canary) + maeSe(champion)), allowed, true)];
}
