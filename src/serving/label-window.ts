/**
 * The most recent labelled predictions of one version (a ring of fixed capacity), from
 * which live accuracy and AUC are computed on demand. Entries carry the time of the
 * prediction, so a canary step can judge only what was predicted since it began.
 */
import { rocAuc } from '../evaluation/metrics';

/** Live quality of a version from feedback, as the admin stats API returns it. */
export interface FeedbackStats {
  /** Labelled rows in the range (the window keeps at most SLIPWAY_SERVE_LABEL_WINDOW per version). */
  labels: number;
  positives: number;
  /** Share of rows whose label (score ≥ 0.5) matched the truth; null without labels. */
  accuracy: number | null;
  /** ROC AUC; null without labels or when all labels are equal. */
  auc: number | null;
}

/** Bytes per kept label: time (8), score (4), label (1). */
export const LABEL_BYTES = 13;

export class LabelWindow {
  private readonly predictedAt: Float64Array;
  private readonly scores: Float32Array;
  private readonly labels: Uint8Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.predictedAt = new Float64Array(capacity);
    this.scores = new Float32Array(capacity);
    this.labels = new Uint8Array(capacity);
  }

  add(predictedAtMs: number, score: number, label: 0 | 1): void {
    this.predictedAt[this.next] = predictedAtMs;
    this.scores[this.next] = score;
    this.labels[this.next] = label;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Quality over the kept rows predicted within [fromMs, toMs]. */
  summarize(fromMs = -Infinity, toMs = Infinity): FeedbackStats {
    const scores: number[] = [];
    const labels: number[] = [];
    let correct = 0;
    let positives = 0;
    for (let i = 0; i < this.size; i++) {
      const at = this.predictedAt[i];
      if (at < fromMs || at > toMs) continue;
      const s = this.scores[i];
      const y = this.labels[i];
      scores.push(s);
      labels.push(y);
      positives += y;
      if ((s >= 0.5 ? 1 : 0) === y) correct++;
    }
    const n = scores.length;
    const auc = n > 0 ? rocAuc(scores, labels) : NaN;
    return { labels: n, positives, accuracy: n > 0 ? correct / n : null, auc: Number.isFinite(auc) ? auc : null };
  }
}
