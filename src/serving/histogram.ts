/**
 * Fixed-bin histograms for latency and prediction scores. Fixed bins make histograms from
 * different seconds, versions and processes addable, which the time-bucketed stats rely on.
 * Pure: no I/O, no clock, so the canary workflow may import it too.
 */

/** Lower edge of the first latency bin, in milliseconds; faster requests land in bin 0. */
const LATENCY_MIN_MS = 0.01;
/** Each latency bin is this much wider than the previous one (quantile error under 5%). */
const LATENCY_GROWTH = 1.1;
/** Bins up to 0.01 ms · 1.1^170 ≈ 110 s; slower requests land in the last bin. */
export const LATENCY_BINS = 170;
const LOG_GROWTH = Math.log(LATENCY_GROWTH);

/** Upper edge of latency bin `i`, in milliseconds. */
export function latencyBinUpperMs(i: number): number {
  return LATENCY_MIN_MS * LATENCY_GROWTH ** (i + 1);
}

export function latencyBin(ms: number): number {
  if (!(ms > LATENCY_MIN_MS)) return 0;
  const i = Math.floor(Math.log(ms / LATENCY_MIN_MS) / LOG_GROWTH);
  return i >= LATENCY_BINS ? LATENCY_BINS - 1 : i;
}

/**
 * The `q`-quantile (0..1) of a latency histogram, interpolated linearly inside its bin;
 * null for an empty histogram.
 */
export function latencyQuantileMs(counts: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c === 0) continue;
    if (seen + c >= rank) {
      const lower = i === 0 ? 0 : latencyBinUpperMs(i - 1);
      const upper = latencyBinUpperMs(i);
      return lower + (upper - lower) * Math.min(1, Math.max(0, (rank - seen) / c));
    }
    seen += c;
  }
  return latencyBinUpperMs(counts.length - 1);
}

/** Prediction scores are binned in 20 equal bins over [0, 1]. */
export const SCORE_BINS = 20;

/** Bin edges of the score histogram: `SCORE_BINS + 1` numbers from 0 to 1. */
export const SCORE_EDGES: readonly number[] = Object.freeze(Array.from({ length: SCORE_BINS + 1 }, (_, i) => i / SCORE_BINS));

export function scoreBin(score: number): number {
  if (!(score > 0)) return 0;
  const i = Math.floor(score * SCORE_BINS);
  return i >= SCORE_BINS ? SCORE_BINS - 1 : i;
}

/**
 * Population stability index of `actual` against `expected` (two histograms over the same
 * bins): Σ (a − e) · ln(a / e) over bin fractions. Empty bins are floored at `epsilon` so one
 * empty bin does not make the index infinite. Conventional reading: < 0.1 stable, 0.1–0.25
 * moderate shift, > 0.25 major shift. NaN when either histogram is empty.
 */
export function populationStabilityIndex(expected: ArrayLike<number>, actual: ArrayLike<number>, epsilon = 1e-4): number {
  if (expected.length !== actual.length) throw new RangeError(`histograms differ in length: ${expected.length} vs ${actual.length}`);
  const sum = (h: ArrayLike<number>) => {
    let total = 0;
    for (let i = 0; i < h.length; i++) total += h[i];
    return total;
  };
  const e = sum(expected);
  const a = sum(actual);
  if (e === 0 || a === 0) return NaN;
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const pe = Math.max(expected[i] / e, epsilon);
    const pa = Math.max(actual[i] / a, epsilon);
    psi += (pa - pe) * Math.log(pa / pe);
  }
  return psi;
}
