/**
 * Binary-classification metrics over predicted probabilities. Pure functions, so they run
 * the same in an activity, a report or a test.
 */

/** Scalar quality figures of one model on one dataset. */
export interface BinaryMetrics {
  rows: number;
  /** Share of rows whose label is 1. */
  positiveRate: number;
  /** Area under the ROC curve; tied scores count half. NaN when only one class is present. */
  auc: number;
  /** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15]. */
  logLoss: number;
  accuracy: number;
  /** 0 when nothing is predicted positive. */
  precision: number;
  /** 0 when there are no positives. */
  recall: number;
  f1: number;
  /** Mean squared error of the probabilities. */
  brier: number;
  /** Expected calibration error over 10 equal-width probability bins. */
  ece: number;
}

/** One point of a ROC curve. */
export interface RocPoint {
  fpr: number;
  tpr: number;
}

type Scores = Float32Array | Float64Array | number[];
type Labels = Uint8Array | number[];

const EPS = 1e-15;
const ECE_BINS = 10;

/**
 * Computes {@link BinaryMetrics}; a row is predicted positive when its score is at least
 * `threshold`. Scores must be finite probabilities; labels are 0/1 (any truthy value is 1).
 */
export function computeMetrics(scores: Scores, labels: Labels, threshold = 0.5): BinaryMetrics {
  const n = checkLengths(scores, labels);
  let positives = 0;
  let tp = 0;
  let fp = 0;
  let logLoss = 0;
  let brier = 0;
  const binCount = new Float64Array(ECE_BINS);
  const binScore = new Float64Array(ECE_BINS);
  const binLabel = new Float64Array(ECE_BINS);
  for (let i = 0; i < n; i++) {
    const p = scores[i];
    const y = labels[i] ? 1 : 0;
    positives += y;
    if (p >= threshold) {
      if (y) tp++;
      else fp++;
    }
    const clipped = Math.min(Math.max(p, EPS), 1 - EPS);
    logLoss -= y ? Math.log(clipped) : Math.log(1 - clipped);
    brier += (p - y) * (p - y);
    // A score of exactly 1 belongs in the last bin, not an eleventh.
    const bin = Math.min(ECE_BINS - 1, Math.max(0, Math.floor(p * ECE_BINS)));
    binCount[bin]++;
    binScore[bin] += p;
    binLabel[bin] += y;
  }
  const tn = n - positives - fp;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = positives > 0 ? tp / positives : 0;
  let ece = 0;
  for (let b = 0; b < ECE_BINS; b++) {
    if (binCount[b] > 0) ece += Math.abs(binScore[b] - binLabel[b]) / n;
  }
  return {
    rows: n,
    positiveRate: n > 0 ? positives / n : NaN,
    auc: rocAuc(scores, labels),
    logLoss: n > 0 ? logLoss / n : NaN,
    accuracy: n > 0 ? (tp + tn) / n : NaN,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    brier: n > 0 ? brier / n : NaN,
    ece: n > 0 ? ece : NaN,
  };
}

/** One bin of a reliability diagram: mean predicted score against the observed positive share. */
export interface CalibrationBin {
  /** Lower edge of the bin, e.g. 0.3 for [0.3, 0.4). */
  from: number;
  rows: number;
  meanScore: number;
  positiveShare: number;
}

/** The reliability diagram behind `ece`: the same 10 equal-width bins; empty bins left out. */
export function calibrationCurve(scores: Scores, labels: Labels): CalibrationBin[] {
  const n = checkLengths(scores, labels);
  const count = new Float64Array(ECE_BINS);
  const score = new Float64Array(ECE_BINS);
  const label = new Float64Array(ECE_BINS);
  for (let i = 0; i < n; i++) {
    const bin = Math.min(ECE_BINS - 1, Math.max(0, Math.floor(scores[i] * ECE_BINS)));
    count[bin]++;
    score[bin] += scores[i];
    label[bin] += labels[i] ? 1 : 0;
  }
  const bins: CalibrationBin[] = [];
  for (let b = 0; b < ECE_BINS; b++) {
    if (count[b] > 0) bins.push({ from: b / ECE_BINS, rows: count[b], meanScore: score[b] / count[b], positiveShare: label[b] / count[b] });
  }
  return bins;
}

/**
 * ROC AUC by the rank-sum (Mann–Whitney) formula with average ranks for ties.
 * O(n log n); NaN when either class is absent.
 */
export function rocAuc(scores: Scores, labels: Labels): number {
  const n = checkLengths(scores, labels);
  const order = sortedOrder(scores);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Ranks are 1-based; a tie group shares the mean of ranks start+1..end.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (labels[order[k]]) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The ROC curve as at most `points` (fpr, tpr) pairs, from (0,0) to (1,1), sampled at
 * evenly spaced threshold ranks so a report can plot millions of rows cheaply.
 */
export function rocCurve(scores: Scores, labels: Labels, points = 101): RocPoint[] {
  const n = checkLengths(scores, labels);
  const order = sortedOrder(scores).reverse();
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] ? 1 : 0;
  const negatives = n - positives;
  // Every distinct threshold, as cumulative counts after each tie group.
  const full: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end < n && scores[order[end]] === scores[order[start]]) {
      if (labels[order[end]]) tp++;
      else fp++;
      end++;
    }
    full.push({ fpr: negatives > 0 ? fp / negatives : 0, tpr: positives > 0 ? tp / positives : 0 });
    start = end;
  }
  const target = Math.max(2, Math.floor(points));
  if (full.length <= target) return full;
  const sampled: RocPoint[] = [];
  for (let k = 0; k < target; k++) {
    sampled.push(full[Math.round((k * (full.length - 1)) / (target - 1))]);
  }
  return sampled;
}

function checkLengths(scores: Scores, labels: Labels): number {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores has ${scores.length} entries but labels has ${labels.length}`);
  }
  return scores.length;
}

/** Row indices sorted by ascending score. */
function sortedOrder(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  // A typed-array sort with a comparator is far faster than sorting boxed numbers.
  return order.sort((a, b) => scores[a] - scores[b]);
}
