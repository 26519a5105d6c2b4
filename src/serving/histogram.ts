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

/**
 * Regression predictions are binned on a fixed grid in asinh space, so histograms of any
 * model, second and process add up without knowing the target's scale: bins of width
 * {@link VALUE_BIN_WIDTH} over asinh(v) ∈ [−16, 16] (|v| up to ≈ 4.4·10⁶; beyond, the end bins),
 * i.e. about 13% relative resolution away from zero and 0.125 near it. The canary analysis
 * merges these into quantile bins of the champion's distribution before comparing.
 */
export const VALUE_BIN_WIDTH = 0.125;
const VALUE_ASINH_MAX = 16;
export const VALUE_BINS = (2 * VALUE_ASINH_MAX) / VALUE_BIN_WIDTH;

export function valueBin(value: number): number {
  if (Number.isNaN(value)) return 0;
  const i = Math.floor((Math.asinh(value) + VALUE_ASINH_MAX) / VALUE_BIN_WIDTH);
  return i < 0 ? 0 : i >= VALUE_BINS ? VALUE_BINS - 1 : i;
}

/** Lower edge of value bin `i` (the first bin also holds everything below it). */
export function valueBinLower(i: number): number {
  return Math.sinh(i * VALUE_BIN_WIDTH - VALUE_ASINH_MAX);
}

/**
 * Merges two histograms over the same fine bins into at most `k` bins holding about equal
 * shares of `reference` (its quantiles), the usual way to bin a continuous variable for PSI.
 * Bins `reference` leaves empty join their neighbours. Returns the merged counts of both.
 */
export function mergeByQuantiles(reference: ArrayLike<number>, other: ArrayLike<number>, k: number): { reference: number[]; other: number[] } {
  if (reference.length !== other.length) throw new RangeError(`histograms differ in length: ${reference.length} vs ${other.length}`);
  let total = 0;
  for (let i = 0; i < reference.length; i++) total += reference[i];
  const ref: number[] = [];
  const oth: number[] = [];
  let r = 0;
  let o = 0;
  let seen = 0;
  for (let i = 0; i < reference.length; i++) {
    r += reference[i];
    o += other[i];
    seen += reference[i];
    // Close a bin at each k-quantile of the reference; the last bin takes the rest.
    if (ref.length < k - 1 && r > 0 && seen >= (total * (ref.length + 1)) / k) {
      ref.push(r);
      oth.push(o);
      r = 0;
      o = 0;
    }
  }
  if (ref.length === 0 || r > 0 || o > 0) {
    if (r === 0 && ref.length > 0) {
      ref[ref.length - 1] += r;
      oth[oth.length - 1] += o;
    } else {
      ref.push(r);
      oth.push(o);
    }
  }
  return { reference: ref, other: oth };
}
