/**
 * Live log loss of a binary canary against the champion's (pure). Live AUC only measures ranking:
 * a candidate that ranks as well as the champion but whose probabilities are squashed towards 0.5
 * or shifted by a constant (a broken calibration step, a wrong base rate) passes every AUC check,
 * and a sequential hold even excuses its score shift once AUC shows it no worse. Whoever acts on
 * the probabilities (thresholds, expected costs) is harmed all the same. Log loss is a proper
 * scoring rule: it rewards ranking and calibration together, so it catches both.
 *
 * The check fails when the canary's live log loss exceeds the champion's by more than
 * `maxLogLossIncrease` (the non-inferiority margin, default 0.05 nats) beyond sampling error:
 * the per-row loss spread of each version (two samples during traffic steps), one-sided 95% in a
 * fixed hold, an always-valid confidence sequence in a sequential one (degradation-check.ts).
 */
import type { CanaryAnalysisParams } from '../pipeline/step-params';
import type { CheckResult, VersionWindow } from './analysis';
import { degradationCheck } from './degradation-check';
import { TASK_THRESHOLD_DEFAULTS } from './task-checks';

/**
 * Labels per version before the per-row loss spread is trusted: under it the standard deviation
 * of a handful of losses can be near 0, which would read as certainty.
 */
const MIN_LABELS_FOR_SPREAD = 10;

/**
 * The binary liveLogLoss check over the windows since the canary began; undefined when a window
 * carries no log loss at all (a model server that predates binary log loss: nothing to judge).
 * @param alpha the sequential hold's level; undefined for a fixed hold
 * @param passWithinMargin sequential only: the check passes only while its estimate is within the margin
 */
export function binaryLogLossCheck(canary: VersionWindow, champion: VersionWindow, t: CanaryAnalysisParams, lastStep: boolean, alpha?: number, passWithinMargin = false): CheckResult | undefined {
  if (canary.task !== undefined || canary.logLoss === undefined || champion.logLoss === undefined) return undefined;
  const labelled = canary.labels >= t.minLabels && champion.labels >= t.minLabels;
  const counts = `${canary.labels} canary and ${champion.labels} champion labels so far`;
  const waiting = t.requireLabels && lastStep ? 'inconclusive' : 'pending';
  const few = Math.min(canary.labels, champion.labels) < MIN_LABELS_FOR_SPREAD;
  if (few || (!labelled && alpha === undefined)) {
    return { name: 'liveLogLoss', verdict: waiting, canary: null, baseline: null, limit: null, message: `${counts}, ${few ? MIN_LABELS_FOR_SPREAD : t.minLabels} each needed to judge live log loss` };
  }
  const se = Math.hypot((canary.logLossSd ?? 0) / Math.sqrt(canary.labels), (champion.logLossSd ?? 0) / Math.sqrt(champion.labels));
  return degradationCheck({
    name: 'liveLogLoss',
    label: 'log loss',
    canary: canary.logLoss,
    baseline: champion.logLoss,
    se,
    allowed: t.maxLogLossIncrease ?? TASK_THRESHOLD_DEFAULTS.maxLogLossIncrease,
    higherIsWorse: true,
    labelled,
    waiting,
    counts,
    minLabels: t.minLabels,
    alpha,
    passWithinMargin,
    samples: { canary: canary.labels, champion: champion.labels },
  });
}
