/**
 * How long a canary step holds, decided by its evidence: the step is analysed after every
 * analysis interval on all of its traffic so far, and ends as soon as its checks can decide,
 * never before `minMs`, and at `maxMs` at the latest, where it is inconclusive. Pure, like
 * analysis.ts, which it builds on; see ARCHITECTURE.md ("Sequential holds").
 *
 * - Harm is judged with always-valid confidence sequences (confidence-sequence.ts), so looking
 *   after every interval does not raise the false-rollback rate above `alpha` per check:
 *   errorRate fails when the canary's error rate exceeds the champion's by more than
 *   `maxErrorRateIncrease` with confidence 1 − α; liveAuc / liveAccuracy fail when the canary is
 *   below the champion by more than the allowed drop with confidence 1 − α.
 * - The other checks (serverContinuity, latencyP99, scoreShift) are guards judged as in
 *   analysis.ts at each look.
 * - A missing sample (too few requests, too few labels on the last step, no champion scores)
 *   makes the step wait rather than be inconclusive; at low traffic the step holds longer.
 */
import { binaryLogLossCheck } from './calibration-check';
import { pairedShadowChecks } from './paired-checks';
import { taskQualityChecks } from './task-checks';
import { aucStandardError, analyseStep, type AnalysisInput, type CheckResult, type StepAnalysis, type VersionWindow } from './analysis';
import { confidenceSequence, sideOfMargin, type SequentialEvidence } from './confidence-sequence';
import { BEYOND } from './degradation-check';

/** The hold of one step, in milliseconds. */
export interface HoldPlan {
  intervalMs: number;
  minMs: number;
  maxMs: number;
  alpha: number;
}

/** A check's result, with the sequential evidence behind it for errorRate and live quality. */
export type SequentialCheck = CheckResult;

/** One look's outcome: `decided` false means hold for another interval. */
export interface HoldLook {
  analysis: StepAnalysis & { checks: SequentialCheck[] };
  decided: boolean;
  /** Looks taken in this step so far, this one included. */
  look: number;
  elapsedMs: number;
}

/**
 * τ of the mixtures: the size of difference each test is tuned to detect soonest. A canary that
 * breaks requests or ranks badly differs by tenths, not thousandths; a small τ would make such a
 * canary wait for far more traffic before it is rolled back (τ 0.02 needed > 80 requests to fail
 * a 50% error rate that τ 0.1 fails on 40).
 */
const TAU = { errorRate: 0.1, quality: 0.1 } as const;

/** Labels of each class, per version, before live quality is judged. */
const MIN_CLASS = 10;

/** Checks whose verdict comes from a confidence sequence here. */
const SEQUENTIAL = new Set<CheckResult['name']>(['errorRate', 'liveAuc', 'liveAccuracy', 'liveLogLoss', 'liveMae']);

export function lookAtStep(step: AnalysisInput, plan: HoldPlan, elapsedMs: number, look: number): HoldLook {
  // The estimate-within-margin rule holds the decisive steps only (the last, the one before 100%,
  // the shadow phase): earlier ones leave quality to them, as they do without labels. Live quality
  // is not held at 100%, where the champion serves nothing and its frozen sample could not bring
  // the estimate back; the error rate is, its baseline being taken as known there.
  const decisive = step.passWithinMargin === true && step.lastStep;
  const input = { ...step, passWithinMargin: decisive && step.weight < 100 };
  const fixed = analyseStep(input);
  const checks: SequentialCheck[] = fixed.checks.filter((c) => !SEQUENTIAL.has(c.name));
  const t = input.thresholds;
  const enough = input.measurement.step.canary.requests >= t.minRequests;
  if (enough) checks.push(errorRateCheck(input, plan.alpha, decisive));
  checks.push(...withPaired(qualityChecks(input, plan.alpha), pairedShadowChecks(input, plan.alpha)));
  if (input.shiftAwaitsQuality) shiftAwaitingQuality(checks, t, elapsedMs >= plan.maxMs);

  const failed = checks.filter((c) => c.verdict === 'fail');
  const waiting = checks.filter((c) => c.verdict === 'inconclusive');
  const atMax = elapsedMs >= plan.maxMs;
  const early = elapsedMs < plan.minMs;
  const reasonsOf = (cs: CheckResult[]) => cs.map((c) => `${c.name}: ${c.message}`);
  // Harm found is acted on at once, even before the minimum duration.
  if (failed.length > 0) return { analysis: { verdict: 'fail', checks, reasons: reasonsOf(failed) }, decided: true, look, elapsedMs };
  // A restart lost the step's figures: waiting cannot bring them back.
  const lost = waiting.filter((c) => c.name === 'serverContinuity');
  if (lost.length > 0) return { analysis: { verdict: 'inconclusive', checks, reasons: reasonsOf(lost) }, decided: true, look, elapsedMs };
  if (waiting.length === 0 && !early) return { analysis: { verdict: 'pass', checks, reasons: [] }, decided: true, look, elapsedMs };
  if (atMax) {
    const why = `maximum duration of the step reached (${fmtS(plan.maxMs)} s, ${look} looks) without a decision`;
    return { analysis: { verdict: 'inconclusive', checks, reasons: [why, ...reasonsOf(waiting)] }, decided: true, look, elapsedMs };
  }
  const reasons = early ? [`minimum duration not reached (${fmtS(elapsedMs)} of ${fmtS(plan.minMs)} s)`, ...reasonsOf(waiting)] : reasonsOf(waiting);
  return { analysis: { verdict: 'inconclusive', checks, reasons }, decided: false, look, elapsedMs };
}

/** The unpaired quality checks with those the shadow phase could judge on paired rows replaced. */
function withPaired(unpaired: SequentialCheck[], paired: SequentialCheck[] | undefined): SequentialCheck[] {
  if (!paired) return unpaired;
  const names = new Set(paired.map((c) => c.name));
  return [...unpaired.filter((c) => !names.has(c.name)), ...paired];
}

/**
 * A binary canary whose scores are distributed unlike the champion's is not harmful for that
 * alone: a better model trained on newer data (a higher base rate, another calibration) shifts
 * them too, and `bench:canary`'s good candidate (live AUC 0.70 vs 0.57) was rolled back on a PSI
 * of 0.37–0.45. Below `maxPsiWithoutLabels` (default 4 × maxPsi) the shift makes the step wait for
 * live AUC to show, with the same always-valid confidence, that the candidate ranks no worse
 * (the difference's lower bound above −maxAucDrop): then the shift passes; if AUC shows harm, the
 * quality check fails the step; at the maximum duration without either, the shift fails (never an
 * inconclusive step that a decision timeout's `continue` or a hurried approval could promote). A
 * shift at or above the hard limit — a broken model, a swapped feature — fails at once, before any
 * label arrives. Multiclass and regression keep their task checks (task-checks.ts).
 */
function shiftAwaitingQuality(checks: SequentialCheck[], t: AnalysisInput['thresholds'], atMax: boolean): void {
  const i = checks.findIndex((c) => c.name === 'scoreShift' && c.verdict === 'fail');
  const auc = checks.find((c) => c.name === 'liveAuc');
  if (i < 0 || !auc) return;
  const shift = checks[i];
  const hard = t.maxPsiWithoutLabels ?? HARD_PSI_FACTOR * t.maxPsi;
  if (shift.canary === null || shift.canary >= hard) {
    checks[i] = { ...shift, message: `${shift.message}; at or above ${fmtPsi(hard)} a shift fails without waiting for labels` };
    return;
  }
  const lower = auc.evidence?.lower;
  const shown = auc.verdict === 'pass' && lower !== undefined && lower > -t.maxAucDrop;
  // Never a human's call or a timeout's default: a shift not excused by the step's maximum fails as it did before the rule.
  const verdict = shown ? 'pass' : atMax ? 'fail' : 'inconclusive';
  checks[i] = {
    ...shift,
    verdict,
    message: shown
      ? `${shift.message}, below ${fmtPsi(hard)}: live AUC shows the candidate no worse (difference ≥ ${lower.toFixed(3)} > −${t.maxAucDrop}), so the shift is not harm`
      : verdict === 'fail'
        ? `${shift.message}, below ${fmtPsi(hard)}, but live AUC did not show the candidate no worse than −${t.maxAucDrop} by the step's maximum duration`
        : `${shift.message}, below ${fmtPsi(hard)}: waiting for live AUC to show the candidate no worse than −${t.maxAucDrop}`,
  };
}

/** `maxPsiWithoutLabels` when the spec leaves it out: 1.0 with the default maxPsi 0.25. */
const HARD_PSI_FACTOR = 4;

/** How long to wait before the next look: one interval, cut at the maximum. */
export function nextWaitMs(plan: HoldPlan, elapsedMs: number): number {
  return Math.max(0, Math.min(plan.intervalMs, plan.maxMs - elapsedMs));
}

/**
 * Error rate: canary minus champion in this step, each with a pseudo-count of one error and one
 * success (so a step without errors still has a variance). Against the carried baseline (at
 * 100% the champion gets no traffic) the champion's rate is taken as known.
 */
function errorRateCheck(input: AnalysisInput, alpha: number, withinMargin: boolean): SequentialCheck {
  const t = input.thresholds;
  const { canary, champion } = input.measurement.step;
  const smoothed = (w: VersionWindow) => (w.errors + 1) / (w.requests + 2);
  const pc = smoothed(canary);
  const concurrent = champion.requests >= t.minRequests;
  const pb = concurrent ? smoothed(champion) : (input.previousBaseline?.errorRate ?? 0);
  const variance = (pc * (1 - pc)) / (canary.requests + 2) + (concurrent ? (pb * (1 - pb)) / (champion.requests + 2) : 0);
  const rate = canary.requests > 0 ? canary.errors / canary.requests : 0;
  const base = concurrent ? champion.errors / Math.max(1, champion.requests) : pb;
  const e = confidenceSequence(rate - base, variance, Math.max(TAU.errorRate, 2 * t.maxErrorRateIncrease), alpha, t.maxErrorRateIncrease, {
    canary: canary.requests,
    champion: concurrent ? champion.requests : 0,
  });
  const side = sideOfMargin(e, true);
  const harmful = side === 'harm';
  // Not before 1/margin requests, where a single error would put the estimate beyond the margin.
  const beyond = withinMargin && side === 'beyond' && canary.requests * t.maxErrorRateIncrease >= 1;
  return {
    name: 'errorRate',
    verdict: harmful ? 'fail' : beyond ? 'inconclusive' : 'pass',
    canary: round(rate),
    baseline: round(base),
    limit: round(base + t.maxErrorRateIncrease),
    message: `error rate ${pct(rate)} vs champion ${pct(base)}: increase ${interval(e, pct)}, ${harmful ? 'above' : 'not shown above'} the allowed ${pct(t.maxErrorRateIncrease)} (always-valid p ${fmtP(e.alwaysValidP)})${beyond ? `; ${BEYOND}` : ''}`,
    evidence: e,
  };
}

/** Live AUC and accuracy since the canary began, judged for harm whenever both classes are labelled. */
function qualityChecks(input: AnalysisInput, alpha: number): SequentialCheck[] {
  const t = input.thresholds;
  const { canary, champion } = input.measurement.cumulative;
  const within = input.passWithinMargin === true;
  const perTask = input.taskChecks ? taskQualityChecks(canary, champion, t, input.lastStep, alpha, within) : undefined;
  if (perTask) return perTask;
  const labelled = canary.labels >= t.minLabels && champion.labels >= t.minLabels;
  const counts = `${canary.labels} canary and ${champion.labels} champion labels so far`;
  // The variance formulas are large-sample ones: with a handful of labels an AUC of 0 or 1 has a
  // Hanley–McNeil variance of 0, which would read as certainty. Below MIN_CLASS labels of each
  // class on either side, quality is not judged at all.
  const classes = (w: VersionWindow) => Math.min(w.positives, w.labels - w.positives);
  // Log loss needs no minimum per class: a miscalibrated candidate shows harm on labels of one class too.
  const calibration = input.binaryLogLoss ? binaryLogLossCheck(canary, champion, t, input.lastStep, alpha, within) : undefined;
  const withCalibration = (cs: SequentialCheck[]) => (calibration ? [...cs, calibration] : cs);
  if (canary.auc === null || champion.auc === null || canary.accuracy === null || champion.accuracy === null || classes(canary) < MIN_CLASS || classes(champion) < MIN_CLASS) {
    // The last step waits for labels when they are required; earlier steps leave quality to later ones.
    const verdict = t.requireLabels && input.lastStep ? 'inconclusive' : 'pending';
    return withCalibration([{ name: 'liveAuc', verdict, canary: round(canary.auc), baseline: round(champion.auc), limit: null, message: `${counts}: live quality needs ${MIN_CLASS} labels of each class from both versions` }]);
  }
  const auc = confidenceSequence(canary.auc - champion.auc, aucStandardError(canary) ** 2 + aucStandardError(champion) ** 2, Math.max(TAU.quality, 2 * t.maxAucDrop), alpha, -t.maxAucDrop, {
    canary: canary.labels,
    champion: champion.labels,
  });
  const accVar = (w: VersionWindow) => (w.accuracy! * (1 - w.accuracy!) + 1 / w.labels) / w.labels;
  const acc = confidenceSequence(canary.accuracy - champion.accuracy, accVar(canary) + accVar(champion), Math.max(TAU.quality, 2 * t.maxAccuracyDrop), alpha, -t.maxAccuracyDrop, {
    canary: canary.labels,
    champion: champion.labels,
  });
  const check = (name: 'liveAuc' | 'liveAccuracy', e: SequentialEvidence, c: number, b: number, drop: number): SequentialCheck => {
    const side = sideOfMargin(e, false);
    const harmful = side === 'harm';
    const beyond = within && labelled && side === 'beyond';
    // Below the minimum number of labels a quality check can fail on overwhelming evidence but not pass.
    const verdict = harmful ? 'fail' : beyond ? 'inconclusive' : labelled ? 'pass' : t.requireLabels && input.lastStep ? 'inconclusive' : 'pending';
    const label = name === 'liveAuc' ? 'AUC' : 'accuracy';
    return {
      name,
      verdict,
      canary: round(c),
      baseline: round(b),
      limit: round(b - drop),
      message: `live ${label} ${c.toFixed(3)} vs champion ${b.toFixed(3)} on ${counts}: difference ${interval(e, (x) => x.toFixed(3))}, ${harmful ? 'below' : 'not shown below'} the allowed drop ${drop} (always-valid p ${fmtP(e.alwaysValidP)})${labelled ? (beyond ? `; ${BEYOND}` : '') : `; ${t.minLabels} labels each needed to pass`}`,
      evidence: e,
    };
  };
  return withCalibration([check('liveAuc', auc, canary.auc, champion.auc, t.maxAucDrop), check('liveAccuracy', acc, canary.accuracy, champion.accuracy, t.maxAccuracyDrop)]);
}

/** The hold plan of a canary's params; durations already in milliseconds. */
export function holdPlan(intervalMs: number, hold: { minMs?: number; maxMs?: number; alpha: number }): HoldPlan {
  const minMs = hold.minMs ?? intervalMs;
  const maxMs = Math.max(minMs, hold.maxMs ?? DEFAULT_MAX_INTERVALS * intervalMs);
  return { intervalMs, minMs, maxMs, alpha: hold.alpha };
}

/** Without `maxDuration`, a step holds for at most this many analysis intervals. */
export const DEFAULT_MAX_INTERVALS = 6;

const round = (x: number | null, digits = 4): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const fmtS = (ms: number) => (ms / 1000).toFixed(1);
const fmtPsi = (x: number) => `PSI ${x.toFixed(3)}`;
const fmtP = (p: number) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));
const interval = (e: SequentialEvidence, f: (x: number) => string) => `${f(e.estimate)} in [${f(e.lower)}, ${f(e.upper)}] (${((1 - e.alpha) * 100).toFixed(0)}% always-valid)`;
