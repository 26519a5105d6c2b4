/**
 * Paired tests of two models scored on the same rows. Because both models see the same
 * rows, most of the noise in their metrics is shared; a paired test removes it, so a real
 * difference of a few thousandths of AUC is detectable on a holdout where comparing two
 * independent confidence intervals would call it noise.
 */

type Scores = Float32Array | Float64Array | number[];
type Labels = Uint8Array | number[];

/** DeLong's test of two correlated ROC AUCs. */
export interface DeLongResult {
  /** AUC of model A and of model B (ties count half, as in `rocAuc`). */
  aucA: number;
  aucB: number;
  /** aucA − aucB. */
  difference: number;
  /** Standard error of the difference under DeLong's covariance estimate. */
  standardError: number;
  /** Variances of each AUC and their covariance, for reports and tests. */
  varianceA: number;
  varianceB: number;
  covariance: number;
  positives: number;
  negatives: number;
}

/**
 * DeLong, DeLong & Clarke-Pearson (1988) by Sun & Xu's midrank algorithm (2014): O(n log n).
 * V10 (per positive) and V01 (per negative) are the structural components; the covariance
 * of the two AUCs is S10/m + S01/n. Throws when a class is absent (AUC is undefined).
 */
export function delongTest(scoresA: Scores, scoresB: Scores, labels: Labels): DeLongResult {
  if (scoresA.length !== labels.length || scoresB.length !== labels.length) {
    throw new RangeError(`delongTest: ${scoresA.length} and ${scoresB.length} scores for ${labels.length} labels; both models must score the same rows`);
  }
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] ? pos : neg).push(i);
  const m = pos.length;
  const n = neg.length;
  if (m === 0 || n === 0) throw new RangeError(`delongTest: AUC needs both classes, found ${m} positive and ${n} negative rows`);
  const a = components(scoresA, pos, neg);
  const b = components(scoresB, pos, neg);
  const s10 = covariance2(a.v10, b.v10);
  const s01 = covariance2(a.v01, b.v01);
  const varianceA = s10.xx / m + s01.xx / n;
  const varianceB = s10.yy / m + s01.yy / n;
  const covariance = s10.xy / m + s01.xy / n;
  const variance = Math.max(0, varianceA + varianceB - 2 * covariance);
  return {
    aucA: a.auc,
    aucB: b.auc,
    difference: a.auc - b.auc,
    standardError: Math.sqrt(variance),
    varianceA,
    varianceB,
    covariance,
    positives: m,
    negatives: n,
  };
}

/** Mean and standard error of paired per-row differences d[i] = x[i] − y[i]. */
export interface PairedMeanResult {
  mean: number;
  standardError: number;
  rows: number;
}

/**
 * The paired test on per-row values (losses, or 0/1 correctness for accuracy): the mean
 * difference and its standard error, sd(d)/√n with the n−1 denominator. On thousands of
 * rows the t distribution is the normal one, which the caller uses.
 */
export function pairedMean(x: ArrayLike<number>, y: ArrayLike<number>): PairedMeanResult {
  if (x.length !== y.length) throw new RangeError(`pairedMean: ${x.length} vs ${y.length} values; the rows must be paired`);
  const n = x.length;
  if (n < 2) throw new RangeError(`pairedMean: needs at least 2 paired rows, got ${n}`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] - y[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i] - mean;
    ss += d * d;
  }
  return { mean, standardError: Math.sqrt(ss / (n - 1) / n), rows: n };
}

/** Structural components of one model's AUC: V10 per positive row, V01 per negative row. */
function components(scores: Scores, pos: number[], neg: number[]): { auc: number; v10: Float64Array; v01: Float64Array } {
  const m = pos.length;
  const n = neg.length;
  const x = Float64Array.from(pos, (i) => scores[i]);
  const y = Float64Array.from(neg, (i) => scores[i]);
  const all = new Float64Array(m + n);
  all.set(x);
  all.set(y, m);
  const tx = midranks(x);
  const ty = midranks(y);
  const tz = midranks(all);
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  let sum = 0;
  // V10[i]: share of negatives a positive outranks (ties half) = (rank among all − rank among positives) / n.
  for (let i = 0; i < m; i++) {
    v10[i] = (tz[i] - tx[i]) / n;
    sum += tz[i];
  }
  // V01[j]: share of positives that outrank a negative = 1 − (rank among all − rank among negatives) / m.
  for (let j = 0; j < n; j++) v01[j] = 1 - (tz[m + j] - ty[j]) / m;
  const auc = (sum - (m * (m + 1)) / 2) / (m * n);
  return { auc, v10, v01 };
}

/** 1-based ranks, ties sharing the mean of their ranks. */
function midranks(values: Float64Array): Float64Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((p, q) => values[p] - values[q]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Sample covariance matrix (n − 1 denominator) of two equally long series. */
function covariance2(x: Float64Array, y: Float64Array): { xx: number; yy: number; xy: number } {
  const k = x.length;
  if (k < 2) return { xx: 0, yy: 0, xy: 0 };
  let mx = 0;
  let my = 0;
  for (let i = 0; i < k; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= k;
  my /= k;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < k; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    xx += dx * dx;
    yy += dy * dy;
    xy += dx * dy;
  }
  return { xx: xx / (k - 1), yy: yy / (k - 1), xy: xy / (k - 1) };
}
