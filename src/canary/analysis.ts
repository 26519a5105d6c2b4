/**
 * The canary analysis: one step's measurements of canary and champion against the
 * thresholds, as a verdict with every check's figures. Pure (no I/O, no clock), so the
 * canary workflow runs it and its history holds every input and output.
 *
 * A missing figure is never read as good news: too few requests, a server that restarted
 * in the step, or no labels where labels are required make the step inconclusive.
 */
import type { CanaryAnalysisParams } from '../pipeline/step-params';
import { populationStabilityIndex } from '../serving/histogram';
import type { PairedStats } from '../serving/paired-window';
import { binaryLogLossCheck } from './calibration-check';
import type { SequentialEvidence } from './confidence-sequence';
import { taskQualityChecks, taskScoreShift } from './task-checks';

/** One version's figures over a range of time, as the canary measure activity reads them. */
export interface VersionWindow {
  version: number;
  requests: number;
  errors: number;
  errorRate: number | null;
  p99Ms: number | null;
  p90Ms: number | null;
  p50Ms: number | null;
  /** Prediction-score histogram (20 equal bins over [0, 1]). */
  scoreCounts: number[];
  labels: number;
  /** Labels equal to 1 among `labels`. */
  positives: number;
  auc: number | null;
  accuracy: number | null;
  /** Set for multiclass and regression versions (absent: binary, as in canaries recorded before tasks). */
  task?: 'multiclass' | 'regression';
  /** Multiclass: each class's probability histogram (20 equal bins over [0, 1]), in class order. */
  classScoreCounts?: number[][];
  /** Multiclass: live log loss and the standard deviation of the per-row loss. */
  logLoss?: number | null;
  logLossSd?: number | null;
  /** Regression: predicted values on the server's fixed asinh grid (histogram.ts). */
  valueCounts?: number[];
  /** Regression: live RMSE and MAE. */
  rmse?: number | null;
  mae?: number | null;
  /**
   * A shadow's live quality paired with the version it shadowed on the same requests (the model
   * server's paired-window.ts): shadow minus the other, per-row loss and (binary) DeLong's AUC test.
   */
  paired?: PairedFigures;
}

/** The paired comparison of a shadow with the version it shadowed, as the model server reports it. */
export type PairedFigures = PairedStats;

/** What the measure activity returns for one canary step. */
export interface StepMeasurement {
  /** ISO bounds of the step's range on the server. */
  from: string;
  to: string;
  /** When the answering server process started: a change within a step means its stats were lost. */
  serverStartedAt: string;
  /** Figures of this step alone. */
  step: { champion: VersionWindow; canary: VersionWindow };
  /** Figures since the canary began (live quality needs labels from several steps). */
  cumulative: { champion: VersionWindow; canary: VersionWindow };
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';
/** `pending`: not judged yet, judged on a later step. `skipped`: does not apply to this step. Neither decides a verdict. */
export type CheckVerdict = Verdict | 'pending' | 'skipped';

export interface CheckResult {
  name: 'samples' | 'serverContinuity' | 'errorRate' | 'latencyP99' | 'scoreShift' | 'liveAuc' | 'liveAccuracy' | 'liveLogLoss' | 'liveMae';
  verdict: CheckVerdict;
  /** The canary's figure (null when unmeasured). */
  canary: number | null;
  /** What it was compared with (the champion's figure), when anything. */
  baseline: number | null;
  /** The limit the canary's figure had to respect. */
  limit: number | null;
  message: string;
  /** The always-valid interval behind a sequential hold's verdict (sequential-hold.ts). */
  evidence?: SequentialEvidence;
}

export interface StepAnalysis {
  verdict: Verdict;
  checks: CheckResult[];
  /** Messages of the checks that decided the verdict. */
  reasons: string[];
}

/** The champion's figures the checks compare with, carried between steps (the champion gets no traffic at 100%). */
export interface Baseline {
  errorRate: number;
  scoreCounts: number[];
  /** The step it was measured in (traffic weight of the canary then). */
  measuredAtWeight: number;
  /**
   * Whether that step judged the canary's score shift against these concurrent champion scores
   * (the canary had its minimum sample too). Absent in reports written before the field.
   */
  shiftJudged?: boolean;
  /** Multiclass: the champion's class-probability histograms; regression: its predicted-value histogram. */
  classScoreCounts?: number[][];
  valueCounts?: number[];
}

export interface AnalysisInput {
  measurement: StepMeasurement;
  thresholds: CanaryAnalysisParams;
  /** Champion figures from an earlier step, used when the champion got too few requests in this one. */
  previousBaseline?: Baseline;
  /** Server process start time seen when the step's traffic was set. */
  serverStartedAtStepStart: string;
  weight: number;
  /** Whether this is the last traffic step (live quality is then required when `requireLabels`). */
  lastStep: boolean;
  /**
   * Judge the score shift only against champion scores from the same interval: without concurrent
   * champion traffic (at 100%) the check is skipped when an earlier step judged it concurrently.
   * False only when replaying canaries recorded before this rule. @default false
   */
  concurrentScoreShift?: boolean;
  /**
   * Judge multiclass and regression canaries by their task's checks (task-checks.ts). False only
   * when replaying canaries recorded before them. @default false
   */
  taskChecks?: boolean;
  /**
   * Sequential holds: a binary canary's score shift below `maxPsiWithoutLabels` waits for live AUC
   * to show the candidate no worse instead of failing the step (sequential-hold.ts). False only
   * when replaying canaries recorded before this rule. @default false
   */
  shiftAwaitsQuality?: boolean;
  /**
   * The shadow phase: the canary scored mirrored requests off the response path, so its latency
   * (scoring alone, batched apart) is not comparable with the champion's answers; latency is
   * judged from the first traffic step. @default false
   */
  shadow?: boolean;
  /**
   * Judge a binary canary's live log loss too (calibration-check.ts): AUC alone passes a candidate
   * that ranks well with miscalibrated probabilities. False only when replaying canaries recorded
   * before the check. @default false
   */
  binaryLogLoss?: boolean;
  /**
   * In the shadow phase, judge a binary canary's live AUC and log loss on the rows it and the
   * champion both scored (paired-checks.ts) when the server paired them. False only when
   * replaying canaries recorded before the rule. @default false
   */
  pairedShadow?: boolean;
  /**
   * In a sequential hold, a quality or error-rate check passes only while its estimate lies within
   * the margin: one beyond it, not yet significant, holds the step (sequential-hold.ts). False only
   * when replaying canaries recorded before the rule. @default false
   */
  passWithinMargin?: boolean;
}

const round = (x: number | null, digits = 4): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** The champion's figures of this step when it had enough requests, else the earlier baseline. */
export function baselineFor(input: AnalysisInput): Baseline | undefined {
  const { champion } = input.measurement.step;
  if (champion.requests >= input.thresholds.minRequests) {
    const shiftJudged = input.measurement.step.canary.requests >= input.thresholds.minRequests || input.previousBaseline?.shiftJudged === true;
    return {
      errorRate: champion.errorRate ?? 0,
      scoreCounts: champion.scoreCounts,
      measuredAtWeight: input.weight,
      shiftJudged,
      ...(input.taskChecks && champion.classScoreCounts && { classScoreCounts: champion.classScoreCounts }),
      ...(input.taskChecks && champion.valueCounts && { valueCounts: champion.valueCounts }),
    };
  }
  return input.previousBaseline;
}

export function analyseStep(input: AnalysisInput): StepAnalysis {
  const t = input.thresholds;
  const { canary } = input.measurement.step;
  const baseline = baselineFor(input);
  const checks: CheckResult[] = [];

  const restarted = input.measurement.serverStartedAt !== input.serverStartedAtStepStart;
  checks.push({
    name: 'serverContinuity',
    verdict: restarted ? 'inconclusive' : 'pass',
    canary: null,
    baseline: null,
    limit: null,
    message: restarted
      ? `the model server restarted during this step (started ${input.serverStartedAtStepStart}, now ${input.measurement.serverStartedAt}); the stats before the restart are lost`
      : 'one server process served the whole step',
  });

  const enough = canary.requests >= t.minRequests;
  checks.push({
    name: 'samples',
    verdict: enough ? 'pass' : 'inconclusive',
    canary: canary.requests,
    baseline: input.measurement.step.champion.requests,
    limit: t.minRequests,
    message: enough
      ? `${canary.requests} canary requests (minimum ${t.minRequests})`
      : `only ${canary.requests} canary requests in this step, ${t.minRequests} needed: not enough traffic to judge`,
  });

  if (enough) {
    const baseRate = baseline?.errorRate ?? 0;
    const rate = canary.errorRate ?? 0;
    const limit = baseRate + t.maxErrorRateIncrease;
    checks.push({
      name: 'errorRate',
      verdict: rate > limit ? 'fail' : 'pass',
      canary: round(rate),
      baseline: round(baseRate),
      limit: round(limit),
      message: `error rate ${pct(rate)} vs champion ${pct(baseRate)} (limit ${pct(limit)})`,
    });

    checks.push(
      input.shadow
        ? { name: 'latencyP99', verdict: 'skipped', canary: round(canary.p99Ms, 3), baseline: null, limit: null, message: 'shadow scoring runs off the response path: latency is judged from the first traffic step' }
        : latencyCheck(canary, input.measurement.step.champion, t),
    );

    const concurrent = input.measurement.step.champion.requests >= t.minRequests;
    const shift = baseline ? scoreShift(baseline.scoreCounts, canary.scoreCounts, t.maxPsi) : undefined;
    const taskShift = input.taskChecks ? taskScoreShift(baseline, canary, t.maxPsi) : undefined;
    checks.push(
      !concurrent && input.concurrentScoreShift && baseline?.shiftJudged
        ? {
            name: 'scoreShift',
            verdict: 'skipped',
            canary: null,
            baseline: null,
            limit: null,
            message: `the champion served ${input.measurement.step.champion.requests} requests in this step: the score shift is judged only against concurrent champion traffic, as it was in an earlier step; against the champion's scores from the ${baseline.measuredAtWeight}% step${shift ? ` (PSI ${shift.psi.toFixed(3)})` : ''} it would measure how the traffic moved since, not the model`,
          }
        : taskShift
        ? taskShift
        : !shift
        ? { name: 'scoreShift', verdict: 'inconclusive', canary: null, baseline: null, limit: t.maxPsi, message: 'no champion score distribution to compare with' }
        : {
            name: 'scoreShift',
            verdict: shift.psi > shift.limit ? 'fail' : 'pass',
            canary: round(shift.psi),
            baseline: 0,
            limit: round(shift.limit),
            message: `prediction-score PSI ${shift.psi.toFixed(3)} against the champion (limit ${shift.limit.toFixed(3)}: ${t.maxPsi} + ${(shift.limit - t.maxPsi).toFixed(3)} sampling allowance)`,
          },
    );
  }

  checks.push(...qualityChecks(input));

  const verdict: Verdict = checks.some((c) => c.verdict === 'fail') ? 'fail' : checks.some((c) => c.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
  const deciding = verdict === 'pass' ? [] : checks.filter((c) => c.verdict === (verdict === 'fail' ? 'fail' : 'inconclusive'));
  return { verdict, checks, reasons: deciding.map((c) => `${c.name}: ${c.message}`) };
}

/**
 * Tail latency against the champion's in the same step. The p99 of a few dozen requests is
 * their slowest one, which on a busy machine is noise; below {@link P99_MIN_REQUESTS} requests
 * on either side the check compares p90 instead, and says so. It fails only when the median
 * is over its limit too.
 */
const P99_MIN_REQUESTS = 200;

function latencyCheck(canary: VersionWindow, champion: VersionWindow, t: CanaryAnalysisParams): CheckResult {
  // Latency depends on the machine's load at the moment, so it is compared only with champion
  // traffic served at the same time (not at 100%, where the champion gets none).
  if (champion.requests < t.minRequests) {
    return { name: 'latencyP99', verdict: 'skipped', canary: round(canary.p99Ms, 3), baseline: null, limit: null, message: `the champion served ${champion.requests} requests in this step: latency is compared only with concurrent champion traffic` };
  }
  const useP99 = canary.requests >= P99_MIN_REQUESTS && champion.requests >= P99_MIN_REQUESTS;
  const q = useP99 ? 'p99' : 'p90';
  const c = useP99 ? canary.p99Ms : canary.p90Ms;
  const b = useP99 ? champion.p99Ms : champion.p90Ms;
  if (b === null || c === null || canary.p50Ms === null || champion.p50Ms === null) {
    return { name: 'latencyP99', verdict: 'inconclusive', canary: round(c, 3), baseline: round(b, 3), limit: null, message: 'no latency figures to compare' };
  }
  const limitOf = (x: number) => Math.max(x * t.maxP99Ratio, x + t.p99SlackMs);
  const limit = limitOf(b);
  const medianLimit = limitOf(champion.p50Ms);
  // A slower model moves the whole distribution; a CPU stall on a busy machine only the tail of both.
  const slower = c > limit && canary.p50Ms > medianLimit;
  const why = useP99 ? '' : ` (p90: p99 needs ${P99_MIN_REQUESTS} requests on each side)`;
  return {
    name: 'latencyP99',
    verdict: slower ? 'fail' : 'pass',
    canary: round(c, 3),
    baseline: round(b, 3),
    limit: round(limit, 3),
    message: `${q} latency ${c.toFixed(2)} ms vs champion ${b.toFixed(2)} ms (limit ${limit.toFixed(2)} ms), median ${canary.p50Ms.toFixed(2)} vs ${champion.p50Ms.toFixed(2)} ms (limit ${medianLimit.toFixed(2)} ms)${why}`,
  };
}

/** Bins the PSI is computed over: the server's 20 score bins merged in pairs, the usual 10. */
const PSI_BINS = 10;

/**
 * PSI of the canary's scores against the champion's, made fit for small samples: a
 * pseudo-count of 0.5 per bin (rather than a floor), so an empty bin in 50 requests does not
 * read as a shift; and a limit raised by PSI's expected value between two samples of the same
 * distribution, (k − 1)(1/n₁ + 1/n₂), which vanishes as traffic grows.
 */
export function scoreShift(champion: number[], canary: number[], maxPsi: number): { psi: number; limit: number } | undefined {
  const merge = (h: number[]) => Array.from({ length: PSI_BINS }, (_, i) => h.slice((i * h.length) / PSI_BINS, ((i + 1) * h.length) / PSI_BINS).reduce((a, b) => a + b, 0) + 0.5);
  const n1 = champion.reduce((a, b) => a + b, 0);
  const n2 = canary.reduce((a, b) => a + b, 0);
  if (n1 === 0 || n2 === 0 || champion.length % PSI_BINS !== 0 || champion.length !== canary.length) return undefined;
  return { psi: populationStabilityIndex(merge(champion), merge(canary)), limit: maxPsi + (PSI_BINS - 1) * (1 / n1 + 1 / n2) };
}

/** Live AUC and accuracy since the canary began, once both versions have enough labels. */
function qualityChecks(input: AnalysisInput): CheckResult[] {
  const t = input.thresholds;
  const { champion, canary } = input.measurement.cumulative;
  const perTask = input.taskChecks ? taskQualityChecks(canary, champion, t, input.lastStep) : undefined;
  if (perTask) return perTask;
  const labelled = canary.labels >= t.minLabels && champion.labels >= t.minLabels;
  if (!labelled) {
    const required = t.requireLabels && input.lastStep;
    const message = `${canary.labels} canary and ${champion.labels} champion labels so far, ${t.minLabels} each needed to judge live quality`;
    return [{ name: 'liveAuc', verdict: required ? 'inconclusive' : 'pending', canary: round(canary.auc), baseline: round(champion.auc), limit: null, message }];
  }
  const results: CheckResult[] = [];
  const compare = (name: 'liveAuc' | 'liveAccuracy', c: number | null, b: number | null, se: number, maxDrop: number, label: string) => {
    if (c === null || b === null) {
      results.push({ name, verdict: 'inconclusive', canary: round(c), baseline: round(b), limit: null, message: `live ${label} undefined (labels of one class only)` });
      return;
    }
    // Fails only when the drop beyond the allowed one is larger than sampling noise explains (one-sided 95%).
    const limit = b - maxDrop - Z_ONE_SIDED_95 * se;
    results.push({
      name,
      verdict: c < limit ? 'fail' : 'pass',
      canary: round(c),
      baseline: round(b),
      limit: round(limit),
      message: `live ${label} ${c.toFixed(3)} vs champion ${b.toFixed(3)} on ${canary.labels}/${champion.labels} labels (limit ${limit.toFixed(3)}: drop ${maxDrop} + ${(Z_ONE_SIDED_95 * se).toFixed(3)} sampling allowance)`,
    });
  };
  compare('liveAuc', canary.auc, champion.auc, Math.hypot(aucStandardError(canary), aucStandardError(champion)), t.maxAucDrop, 'AUC');
  compare('liveAccuracy', canary.accuracy, champion.accuracy, Math.hypot(proportionStandardError(canary.accuracy, canary.labels), proportionStandardError(champion.accuracy, champion.labels)), t.maxAccuracyDrop, 'accuracy');
  const calibration = input.binaryLogLoss ? binaryLogLossCheck(canary, champion, t, input.lastStep) : undefined;
  if (calibration) results.push(calibration);
  return results;
}

const Z_ONE_SIDED_95 = 1.645;

/** Hanley & McNeil (1982) standard error of an AUC from its positive and negative counts. */
export function aucStandardError(w: Pick<VersionWindow, 'auc' | 'labels' | 'positives'>): number {
  const a = w.auc;
  const p = w.positives;
  const n = w.labels - w.positives;
  if (a === null || p === 0 || n === 0) return 0;
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  return Math.sqrt(Math.max(0, (a * (1 - a) + (p - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (p * n)));
}

function proportionStandardError(p: number | null, n: number): number {
  return p === null || n === 0 ? 0 : Math.sqrt((p * (1 - p)) / n);
}
