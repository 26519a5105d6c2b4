/**
 * The most recent labelled predictions of one version (a ring of fixed capacity), from
 * which live quality is computed on demand, per task. Entries carry the time of the
 * prediction, so a canary step can judge only what was predicted since it began.
 *
 * What a row keeps depends on the task (so every task costs the same bytes per label):
 * - binary: P(label = 1) and the label: accuracy (at 0.5) and ROC AUC;
 * - multiclass: the probability the model gave the true class and whether its top class was
 *   the true one: accuracy and log loss (−ln p, p clipped at 1e−15 like scikit-learn's);
 * - regression: the residual (prediction − truth): RMSE and MAE.
 */
import { rocAuc } from '../evaluation/metrics';
import type { ServedTask } from './model-task';

/** Live quality of a version from feedback, as the admin stats API returns it. */
export interface FeedbackStats {
  /** Labelled rows in the range (the window keeps at most SLIPWAY_SERVE_LABEL_WINDOW per version). */
  labels: number;
  /** Binary: labels equal to 1; 0 for other tasks. */
  positives: number;
  /** Share of rows whose label (binary: score ≥ 0.5; multiclass: the top class) matched the truth; null without labels or for regression. */
  accuracy: number | null;
  /** Binary: ROC AUC; null without labels, when all labels are equal, or for other tasks. */
  auc: number | null;
  /** Binary and multiclass: mean log loss (binary: −ln P(true label)); null without labels. */
  logLoss?: number | null;
  /** Multiclass: standard deviation of the per-row log loss (for a sampling allowance); null under 2 labels. */
  logLossSd?: number | null;
  /** Regression: root mean squared error; null without labels. */
  rmse?: number | null;
  /** Regression: mean absolute error; null without labels. */
  mae?: number | null;
}

/** Bytes per kept label: time (8), score (4), label (1). */
export const LABEL_BYTES = 13;

/** The log loss of a probability scikit-learn style: clipped so a confident miss costs ≈ 34.5, not ∞. */
const MIN_PROBABILITY = 1e-15;

/** −ln P(label) of a binary prediction, clipped like scikit-learn's. */
export const binaryLogLoss = (p: number, label: number): number => -Math.log(Math.max(label === 1 ? p : 1 - p, MIN_PROBABILITY));

/** Mean and sample standard deviation of per-row losses. */
class LossMoments {
  n = 0;
  private sum = 0;
  private sumSq = 0;
  add(x: number): void {
    this.n++;
    this.sum += x;
    this.sumSq += x * x;
  }
  get mean(): number | null {
    return this.n > 0 ? this.sum / this.n : null;
  }
  get sd(): number | null {
    if (this.n < 2) return null;
    const m = this.sum / this.n;
    return Math.sqrt(Math.max(0, (this.sumSq - this.n * m * m) / (this.n - 1)));
  }
}

export class LabelWindow {
  private readonly predictedAt: Float64Array;
  private readonly scores: Float32Array;
  private readonly labels: Uint8Array;
  private next = 0;
  private size = 0;

  constructor(
    readonly capacity: number,
    readonly task: ServedTask['task'] = 'binary',
  ) {
    this.predictedAt = new Float64Array(capacity);
    this.scores = new Float32Array(capacity);
    this.labels = new Uint8Array(capacity);
  }

  /**
   * Keeps one labelled row: binary (P(label = 1), label); multiclass (P(true class), 1 when the
   * top class was right); regression (residual, 0).
   */
  add(predictedAtMs: number, score: number, label: 0 | 1): void {
    this.predictedAt[this.next] = predictedAtMs;
    this.scores[this.next] = score;
    this.labels[this.next] = label;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Quality over the kept rows predicted within [fromMs, toMs]. */
  summarize(fromMs = -Infinity, toMs = Infinity): FeedbackStats {
    if (this.task === 'multiclass') return this.summarizeMulticlass(fromMs, toMs);
    if (this.task === 'regression') return this.summarizeRegression(fromMs, toMs);
    const scores: number[] = [];
    const labels: number[] = [];
    let correct = 0;
    let positives = 0;
    const loss = new LossMoments();
    for (let i = 0; i < this.size; i++) {
      const at = this.predictedAt[i];
      if (at < fromMs || at > toMs) continue;
      const s = this.scores[i];
      const y = this.labels[i];
      scores.push(s);
      labels.push(y);
      positives += y;
      if ((s >= 0.5 ? 1 : 0) === y) correct++;
      loss.add(binaryLogLoss(s, y));
    }
    const n = scores.length;
    const auc = n > 0 ? rocAuc(scores, labels) : NaN;
    // Log loss beside AUC: AUC only sees ranking, a canary's calibration is judged on log loss (src/canary/calibration-check.ts).
    return { labels: n, positives, accuracy: n > 0 ? correct / n : null, auc: Number.isFinite(auc) ? auc : null, logLoss: loss.mean, logLossSd: loss.sd };
  }

  private summarizeMulticlass(fromMs: number, toMs: number): FeedbackStats {
    let correct = 0;
    const loss = new LossMoments();
    for (let i = 0; i < this.size; i++) {
      const at = this.predictedAt[i];
      if (at < fromMs || at > toMs) continue;
      correct += this.labels[i];
      loss.add(-Math.log(Math.max(this.scores[i], MIN_PROBABILITY)));
    }
    const n = loss.n;
    return { labels: n, positives: 0, accuracy: n > 0 ? correct / n : null, auc: null, logLoss: loss.mean, logLossSd: loss.sd };
  }

  private summarizeRegression(fromMs: number, toMs: number): FeedbackStats {
    let n = 0, abs = 0, sq = 0;
    for (let i = 0; i < this.size; i++) {
      const at = this.predictedAt[i];
      if (at < fromMs || at > toMs) continue;
      const e = this.scores[i];
      n++;
      abs += Math.abs(e);
      sq += e * e;
    }
    return { labels: n, positives: 0, accuracy: null, auc: null, rmse: n > 0 ? Math.sqrt(sq / n) : null, mae: n > 0 ? abs / n : null };
  }
}
