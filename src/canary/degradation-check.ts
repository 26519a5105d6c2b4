/**
 * One live-quality check of the form "the canary is worse than the champion by more than an
 * allowed margin, beyond sampling error" (pure): log loss and MAE of every task, shared by
 * task-checks.ts and calibration-check.ts. In a fixed hold sampling error is one-sided 95%; in a
 * sequential one (`alpha` set) it is an always-valid confidence sequence, so looking after every
 * interval keeps the false-rollback rate at most α.
 */
import type { CheckResult } from './analysis';
import { confidenceSequence, sideOfMargin, type SequentialEvidence } from './confidence-sequence';

const Z_ONE_SIDED_95 = 1.645;
/** The mixture's spread: canaries that break quality differ by tenths (see sequential-hold.ts). */
const TAU = 0.1;

export interface DegradationInput {
  name: CheckResult['name'];
  /** For messages: `log loss`, `MAE`. */
  label: string;
  canary: number | null | undefined;
  baseline: number | null | undefined;
  /** Standard error of canary − champion. */
  se: number;
  /** The worsening allowed (the non-inferiority margin). */
  allowed: number;
  higherIsWorse: boolean;
  /** Both versions have `minLabels`: a check may pass only then. */
  labelled: boolean;
  /** What a check that cannot pass yet reads: `pending` on early steps, `inconclusive` where labels are required. */
  waiting: 'pending' | 'inconclusive';
  /** For messages: "n canary and m champion labels so far". */
  counts: string;
  minLabels: number;
  /** The sequential hold's level; undefined for a fixed hold. */
  alpha?: number;
  /** Sequential only: pass only while the estimated worsening is within `allowed` (sequential-hold.ts). */
  passWithinMargin?: boolean;
  samples: SequentialEvidence['samples'];
}

/** Fails when the canary is worse than the champion by more than `allowed`, beyond sampling error. */
export function degradationCheck(i: DegradationInput): CheckResult {
  const { name, label, canary: c, baseline: b, se, allowed, labelled, waiting, counts } = i;
  if (c == null || b == null) return { name, verdict: labelled ? 'inconclusive' : waiting, canary: null, baseline: null, limit: null, message: `live ${label} not measured (${counts})` };
  const harm = i.higherIsWorse ? c - b : b - c;
  let harmful: boolean;
  let evidence: SequentialEvidence | undefined;
  let side: ReturnType<typeof sideOfMargin> | undefined;
  let allowance: string;
  if (i.alpha === undefined) {
    harmful = harm > allowed + Z_ONE_SIDED_95 * se;
    allowance = `${allowed.toFixed(3)} + ${(Z_ONE_SIDED_95 * se).toFixed(3)} sampling allowance`;
  } else {
    evidence = confidenceSequence(harm, se * se, Math.max(TAU, 2 * allowed), i.alpha, allowed, i.samples);
    side = sideOfMargin(evidence, true);
    harmful = side === 'harm';
    allowance = `${allowed.toFixed(3)}, worsening ${evidence.estimate.toFixed(3)} in [${evidence.lower.toFixed(3)}, ${evidence.upper.toFixed(3)}] always-valid`;
  }
  const limit = i.higherIsWorse ? b + allowed : b - allowed;
  // With the minimum sample, a worsening estimated beyond the margin is not "no harm shown": the step holds.
  const beyond = labelled && i.passWithinMargin === true && side === 'beyond';
  return {
    name,
    verdict: harmful ? 'fail' : beyond ? 'inconclusive' : labelled ? 'pass' : waiting,
    canary: round(c),
    baseline: round(b),
    limit: round(limit),
    message: `live ${label} ${c.toFixed(3)} vs champion ${b.toFixed(3)} on ${counts} (allowed worsening ${allowance})${labelled ? (beyond ? `; ${BEYOND}` : '') : `; ${i.minLabels} labels each needed to pass`}`,
    ...(evidence && { evidence }),
  };
}

/** Why a check whose estimate lies beyond its margin holds the step (shared by every sequential check). */
export const BEYOND = 'the estimate is beyond the margin, so this check does not pass on it: the step holds until the interval shows harm or the estimate comes back within the margin, and at its maximum duration it is inconclusive (a decision)';

const round = (x: number | null, digits = 4): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
