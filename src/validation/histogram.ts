/**
 * Value distributions as DuckDB returns them: numeric columns as counts per bucket of a fixed
 * grid (`key = floor(value / quantum)`), categorical columns as counts per value. Reference and
 * current data are bucketed on the same grid, so every statistic here compares like with like.
 */

/** Counts per bucket; bucket `k` holds values in `[k·quantum, (k+1)·quantum)`. */
export interface NumericHistogram {
  quantum: number;
  /** True when values are whole numbers and `quantum` is 1: each bucket is one exact value. */
  exact: boolean;
  /** `[key, count]`, ascending by key, counts > 0. */
  bins: Array<[number, number]>;
}

/** Counts per category, most frequent first (ties by value). */
export type CategoryCounts = Array<[string, number]>;

export const histogramTotal = (h: NumericHistogram): number => h.bins.reduce((s, [, c]) => s + c, 0);

/** The value a bucket stands for: itself for exact histograms, else the bucket's midpoint. */
export function bucketValue(h: NumericHistogram, key: number): number {
  return h.exact ? key : (key + 0.5) * h.quantum;
}

export function histogramMean(h: NumericHistogram): number {
  const n = histogramTotal(h);
  return n === 0 ? 0 : h.bins.reduce((s, [k, c]) => s + bucketValue(h, k) * c, 0) / n;
}

/** Population standard deviation. */
export function histogramStd(h: NumericHistogram): number {
  const n = histogramTotal(h);
  if (n === 0) return 0;
  const mean = histogramMean(h);
  return Math.sqrt(h.bins.reduce((s, [k, c]) => s + (bucketValue(h, k) - mean) ** 2 * c, 0) / n);
}

/** The smallest bucket value with at least `p` of the mass at or below it (p in [0, 1]). */
export function histogramQuantile(h: NumericHistogram, p: number): number {
  const n = histogramTotal(h);
  if (n === 0) return Number.NaN;
  const target = p * n;
  let seen = 0;
  for (const [k, c] of h.bins) {
    seen += c;
    if (seen >= target) return bucketValue(h, k);
  }
  return bucketValue(h, h.bins[h.bins.length - 1][0]);
}

/** Mass strictly below `lo` or strictly above `hi`, judged by bucket value. */
export function countOutside(h: NumericHistogram, lo: number, hi: number): number {
  let n = 0;
  for (const [k, c] of h.bins) {
    const v = bucketValue(h, k);
    if (v < lo || v > hi) n += c;
  }
  return n;
}

/** Both histograms' keys, merged ascending, with each side's cumulative share at every key. */
export function mergedCdf(a: NumericHistogram, b: NumericHistogram): Array<{ key: number; fa: number; fb: number }> {
  const na = histogramTotal(a);
  const nb = histogramTotal(b);
  const out: Array<{ key: number; fa: number; fb: number }> = [];
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  while (i < a.bins.length || j < b.bins.length) {
    const ka = i < a.bins.length ? a.bins[i][0] : Infinity;
    const kb = j < b.bins.length ? b.bins[j][0] : Infinity;
    const key = Math.min(ka, kb);
    if (ka === key) ca += a.bins[i++][1];
    if (kb === key) cb += b.bins[j++][1];
    out.push({ key, fa: na ? ca / na : 0, fb: nb ? cb / nb : 0 });
  }
  return out;
}

/** Shares of the mass in the bins cut by `edges` (ascending): below edges[0], between each pair, above the last. */
export function shareByEdges(h: NumericHistogram, edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const [k, c] of h.bins) {
    const v = bucketValue(h, k);
    let bin = 0;
    while (bin < edges.length && v >= edges[bin]) bin++;
    counts[bin] += c;
  }
  const n = histogramTotal(h);
  return counts.map((c) => (n ? c / n : 0));
}

/** Shares of two category distributions over the union of their categories, aligned. */
export function alignCategories(a: CategoryCounts, b: CategoryCounts): { keys: string[]; pa: number[]; pb: number[] } {
  const ma = new Map(a);
  const mb = new Map(b);
  const keys = [...new Set([...ma.keys(), ...mb.keys()])];
  const na = a.reduce((s, [, c]) => s + c, 0);
  const nb = b.reduce((s, [, c]) => s + c, 0);
  return {
    keys,
    pa: keys.map((k) => (na ? (ma.get(k) ?? 0) / na : 0)),
    pb: keys.map((k) => (nb ? (mb.get(k) ?? 0) / nb : 0)),
  };
}
