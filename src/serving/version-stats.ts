/**
 * Live statistics of one model version, kept in one-second buckets so the canary analysis
 * can ask "since the weight changed" or "over the last N seconds". Buckets hold fixed-bin
 * histograms (histogram.ts), so any range of seconds sums into one latency and one score
 * histogram. Memory is bounded by the retention, and proportional to seconds with traffic.
 */
import { latencyBin, LATENCY_BINS, latencyQuantileMs, SCORE_BINS, SCORE_EDGES, scoreBin, valueBin, VALUE_BINS, VALUE_BIN_WIDTH } from './histogram';
import { BINARY, type ServedTask } from './model-task';

/**
 * Class-probability histograms are kept for at most this many classes (the first in class order),
 * which bounds a multiclass version's stats at twice a binary one's per second.
 */
export const MAX_CLASS_HISTOGRAMS = 32;

interface SecondBucket {
  second: number;
  requests: number;
  errors: number;
  rows: number;
  latencySumMs: number;
  latencyMaxMs: number;
  scoreSum: number;
  latency: Uint32Array;
  scores: Uint32Array;
  /** multiclass: SCORE_BINS per tracked class; regression: VALUE_BINS; binary: none. */
  outputs?: Uint32Array;
  /** multiclass: sum of each tracked class's probability. */
  outputSums?: Float64Array;
}

/** Request statistics of a version over a time range, as the admin stats API returns them. */
export interface RequestStats {
  /** Predict requests this version answered, failed ones included. */
  requests: number;
  /** Requests that failed inside the model (HTTP 500); bad input and rejected requests are not counted. */
  errors: number;
  /** errors / requests; null without requests. */
  errorRate: number | null;
  /** Rows predicted (a batch request counts its rows). */
  rows: number;
  /** Server-side request latency in milliseconds, from routing to the answer; nulls without requests. */
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null; mean: number | null };
  /**
   * Distribution of predicted P(label = 1) over `rows` (binary), of the predicted class's
   * probability (multiclass; zeros for regression): `counts[i]` scores fell in [edges[i], edges[i+1]).
   */
  scores: { edges: number[]; counts: number[]; mean: number | null };
  /** Multiclass: each class's probability over the `scores.edges` bins (the first {@link MAX_CLASS_HISTOGRAMS} classes). */
  classScores?: { classes: string[]; counts: number[][]; mean: (number | null)[] };
  /** Regression: predicted values in bins of width `asinhBinWidth` over asinh(value) ∈ [−16, 16] (histogram.ts). */
  values?: { asinhBinWidth: number; counts: number[]; mean: number | null };
}

/**
 * Upper estimate of one second's bucket: the two histograms' typed arrays and their buffers,
 * the bucket object and its Map slot (measured on Node 20 with `--expose-gc` over 50,000
 * buckets: ≈ 670 bytes; this bound is 1,272). Retention bounds the buckets, so this bounds a version.
 */
export const SECOND_BUCKET_BYTES = (LATENCY_BINS + SCORE_BINS) * 4 + 512;

/** Histogram bins a task adds to each second's bucket. */
export function outputBins(task: ServedTask): number {
  if (task.task === 'multiclass') return Math.min(task.classes.length, MAX_CLASS_HISTOGRAMS) * SCORE_BINS;
  return task.task === 'regression' ? VALUE_BINS : 0;
}

/** Upper estimate of one second's bucket for a task (its output histogram and sums included). */
export const secondBucketBytes = (task: ServedTask): number => {
  const extra = outputBins(task);
  return SECOND_BUCKET_BYTES + (extra > 0 ? extra * 4 + 64 + (task.task === 'multiclass' ? (extra / SCORE_BINS) * 8 + 64 : 0) : 0);
};

export class VersionStats {
  // Map iteration follows insertion, i.e. time order, so pruning reads from the front.
  private readonly buckets = new Map<number, SecondBucket>();
  private current: SecondBucket | undefined;

  private readonly outputBins: number;

  /**
   * @param retentionSeconds buckets older than this are dropped.
   * @param task what the version predicts: how a prediction buffer reads (inference.ts).
   */
  constructor(
    private readonly retentionSeconds: number,
    readonly task: ServedTask = BINARY,
  ) {
    this.outputBins = outputBins(task);
  }

  /** Records one answered request; `scores` is empty for a failed one. */
  record(nowMs: number, latencyMs: number, scores: ArrayLike<number>, failed: boolean): void {
    const b = this.bucket(Math.floor(nowMs / 1000));
    b.requests++;
    if (failed) b.errors++;
    b.latencySumMs += latencyMs;
    if (latencyMs > b.latencyMaxMs) b.latencyMaxMs = latencyMs;
    b.latency[latencyBin(latencyMs)]++;
    const { task } = this;
    if (task.task === 'binary') {
      for (let i = 0; i < scores.length; i++) {
        b.scores[scoreBin(scores[i])]++;
        b.scoreSum += scores[i];
      }
      b.rows += scores.length;
    } else if (task.task === 'regression') {
      for (let i = 0; i < scores.length; i++) {
        b.outputs![valueBin(scores[i])]++;
        b.scoreSum += scores[i];
      }
      b.rows += scores.length;
    } else {
      const k = task.classes.length;
      const tracked = this.outputBins / SCORE_BINS;
      for (let r = 0; r + k <= scores.length; r += k) {
        let top = 0;
        for (let c = 0; c < k; c++) {
          const p = scores[r + c];
          if (p > top) top = p;
          if (c < tracked) {
            b.outputs![c * SCORE_BINS + scoreBin(p)]++;
            b.outputSums![c] += p;
          }
        }
        b.scores[scoreBin(top)]++;
        b.scoreSum += top;
        b.rows++;
      }
    }
  }

  /** Sums the buckets of seconds in [fromMs, toMs]. */
  summarize(fromMs: number, toMs: number): RequestStats {
    const from = Math.floor(fromMs / 1000);
    const to = Math.floor(toMs / 1000);
    const latency = new Uint32Array(LATENCY_BINS);
    const scores = new Uint32Array(SCORE_BINS);
    const outputs = new Uint32Array(this.outputBins);
    const outputSums = new Float64Array(this.outputBins / SCORE_BINS);
    let requests = 0, errors = 0, rows = 0, latencySum = 0, latencyMax = 0, scoreSum = 0;
    for (const b of this.buckets.values()) {
      if (b.second < from || b.second > to) continue;
      requests += b.requests;
      errors += b.errors;
      rows += b.rows;
      latencySum += b.latencySumMs;
      latencyMax = Math.max(latencyMax, b.latencyMaxMs);
      scoreSum += b.scoreSum;
      for (let i = 0; i < LATENCY_BINS; i++) latency[i] += b.latency[i];
      for (let i = 0; i < SCORE_BINS; i++) scores[i] += b.scores[i];
      if (b.outputs) for (let i = 0; i < outputs.length; i++) outputs[i] += b.outputs[i];
      if (b.outputSums) for (let i = 0; i < outputSums.length; i++) outputSums[i] += b.outputSums[i];
    }
    const any = requests > 0;
    // Interpolation inside a bin may overshoot the slowest request seen; never report beyond it.
    const quantile = (q: number) => {
      const v = latencyQuantileMs(latency, q);
      return v === null ? null : Math.min(v, latencyMax);
    };
    return {
      requests,
      errors,
      errorRate: any ? errors / requests : null,
      rows,
      latencyMs: {
        p50: quantile(0.5),
        p90: quantile(0.9),
        p99: quantile(0.99),
        max: any ? latencyMax : null,
        mean: any ? latencySum / requests : null,
      },
      scores: { edges: [...SCORE_EDGES], counts: Array.from(scores), mean: rows > 0 && this.task.task !== 'regression' ? scoreSum / rows : null },
      ...this.outputSummary(outputs, outputSums, rows, scoreSum),
    };
  }

  private outputSummary(outputs: Uint32Array, sums: Float64Array, rows: number, sum: number): Pick<RequestStats, 'classScores' | 'values'> {
    const { task } = this;
    if (task.task === 'regression') return { values: { asinhBinWidth: VALUE_BIN_WIDTH, counts: Array.from(outputs), mean: rows > 0 ? sum / rows : null } };
    if (task.task === 'binary') return {};
    const classes = task.classes.slice(0, sums.length);
    return {
      classScores: {
        classes,
        counts: classes.map((_, c) => Array.from(outputs.subarray(c * SCORE_BINS, (c + 1) * SCORE_BINS))),
        mean: classes.map((_, c) => (rows > 0 ? sums[c] / rows : null)),
      },
    };
  }

  /** Epoch second of the newest bucket, or undefined before any request. */
  lastSecond(): number | undefined {
    return this.current?.second;
  }

  private bucket(second: number): SecondBucket {
    if (this.current?.second === second) return this.current;
    let b = this.buckets.get(second);
    if (!b) {
      b = { second, requests: 0, errors: 0, rows: 0, latencySumMs: 0, latencyMaxMs: 0, scoreSum: 0, latency: new Uint32Array(LATENCY_BINS), scores: new Uint32Array(SCORE_BINS) };
      if (this.outputBins > 0) b.outputs = new Uint32Array(this.outputBins);
      if (this.task.task === 'multiclass') b.outputSums = new Float64Array(this.outputBins / SCORE_BINS);
      this.buckets.set(second, b);
      this.prune(second);
    }
    // A clock stepping back writes into an older bucket but never moves `current` backwards.
    if (!this.current || second > this.current.second) this.current = b;
    return b;
  }

  private prune(nowSecond: number): void {
    const oldest = nowSecond - this.retentionSeconds;
    for (const [second] of this.buckets) {
      if (second >= oldest) break;
      this.buckets.delete(second);
    }
  }
}
