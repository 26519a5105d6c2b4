/**
 * Live quality of a binary shadow judged on the requests it and the champion both scored (pure).
 * In the shadow phase the candidate scores a mirror of every champion request and a label credits
 * both (src/serving/shadow-mirror.ts), so the two are compared row by row: DeLong's test of the two
 * correlated AUCs and the paired difference of per-row log loss, computed by the model server over
 * the pairs (paired-window.ts). Two independent samples would add each version's own sampling
 * noise; paired rows cancel what both share (which requests were easy), so the same labels give a
 * narrower interval and a decision sooner. The intervals are always-valid confidence sequences at
 * the hold's level, like every sequential quality check.
 */
import type { AnalysisInput, CheckResult } from './analysis';
import { binaryLogLossCheck } from './calibration-check';
import { confidenceSequence, sideOfMargin } from './confidence-sequence';
import { BEYOND } from './degradation-check';
import { TASK_THRESHOLD_DEFAULTS } from './task-checks';

/** Labels of each class before a paired AUC is judged (as unpaired, sequential-hold.ts). */
const MIN_CLASS = 10;
/** Pairs before the spread of per-row loss differences is trusted. */
const MIN_PAIRS = 10;
/** The mixtures' spread, as for the unpaired checks. */
const TAU = 0.1;

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const fmtP = (p: number) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));

/**
 * The paired liveAuc and liveLogLoss of a binary shadow phase, replacing the unpaired ones;
 * undefined when the server paired no rows with the champion (then the unpaired checks stand).
 */
export function pairedShadowChecks(input: AnalysisInput, alpha: number): CheckResult[] | undefined {
  const { canary, champion } = input.measurement.cumulative;
  const p = canary.paired;
  if (!input.shadow || !input.pairedShadow || canary.task !== undefined || !p || p.against !== champion.version) return undefined;
  const t = input.thresholds;
  const labelled = p.labels >= t.minLabels;
  const within = input.passWithinMargin === true;
  const waiting = t.requireLabels && input.lastStep ? 'inconclusive' : 'pending';
  const counts = `${p.labels} requests labelled and scored by both (paired)`;
  const checks: CheckResult[] = [];

  const auc = p.aucDifference;
  if (auc && Math.min(p.positives, p.labels - p.positives) >= MIN_CLASS) {
    const e = confidenceSequence(auc.estimate, auc.standardError ** 2, Math.max(TAU, 2 * t.maxAucDrop), alpha, -t.maxAucDrop, { canary: p.labels, champion: p.labels });
    const side = sideOfMargin(e, false);
    const harmful = side === 'harm';
    const beyond = within && labelled && side === 'beyond';
    checks.push({
      name: 'liveAuc',
      verdict: harmful ? 'fail' : beyond ? 'inconclusive' : labelled ? 'pass' : waiting,
      canary: round(auc.shadow),
      baseline: round(auc.against),
      limit: round(auc.against - t.maxAucDrop),
      message: `live AUC ${auc.shadow.toFixed(3)} vs champion ${auc.against.toFixed(3)} on ${counts}: DeLong difference ${e.estimate.toFixed(3)} in [${e.lower.toFixed(3)}, ${e.upper.toFixed(3)}] (${((1 - alpha) * 100).toFixed(0)}% always-valid), ${harmful ? 'below' : 'not shown below'} the allowed drop ${t.maxAucDrop} (always-valid p ${fmtP(e.alwaysValidP)})${labelled ? (beyond ? `; ${BEYOND}` : '') : `; ${t.minLabels} labels needed to pass`}`,
      evidence: e,
    });
  }

  const loss = p.lossDifference;
  if (input.binaryLogLoss && loss && p.loss === 'logLoss' && p.labels >= MIN_PAIRS) {
    const allowed = t.maxLogLossIncrease ?? TASK_THRESHOLD_DEFAULTS.maxLogLossIncrease;
    const e = confidenceSequence(loss.mean, loss.standardError ** 2, Math.max(TAU, 2 * allowed), alpha, allowed, { canary: p.labels, champion: p.labels });
    const side = sideOfMargin(e, true);
    const harmful = side === 'harm';
    const beyond = within && labelled && side === 'beyond';
    const unpaired = binaryLogLossCheck(canary, champion, t, input.lastStep, alpha);
    checks.push({
      name: 'liveLogLoss',
      verdict: harmful ? 'fail' : beyond ? 'inconclusive' : labelled ? 'pass' : waiting,
      canary: unpaired?.canary ?? null,
      baseline: unpaired?.baseline ?? null,
      limit: allowed,
      message: `live log loss worse than the champion's by ${e.estimate.toFixed(3)} in [${e.lower.toFixed(3)}, ${e.upper.toFixed(3)}] (${((1 - alpha) * 100).toFixed(0)}% always-valid) on ${counts}, ${harmful ? 'above' : 'not shown above'} the allowed ${allowed} (always-valid p ${fmtP(e.alwaysValidP)})${labelled ? (beyond ? `; ${BEYOND}` : '') : `; ${t.minLabels} labels needed to pass`}`,
      evidence: e,
    });
  }
  return checks.length > 0 ? checks : undefined;
}
