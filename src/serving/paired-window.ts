/**
 * Labelled rows scored by both the serving version and its shadow (shadow-mirror.ts), joined by
 * request id: a ring of fixed capacity kept with the shadow's stats. Both versions scored the same
 * requests, so their difference in live quality is measured on paired rows, without the
 * between-request noise two independent samples carry: the paired difference of per-row loss
 * (mean and standard error, as `pairedMean` in the offline gate) and, for binary models, DeLong's
 * test of the two correlated AUCs (src/evaluation/paired-tests.ts).
 *
 * A row keeps what the label windows keep per task (label-window.ts): binary P(label = 1) of each
 * version and the label; multiclass each version's P(true class); regression each residual.
 */
import { delongTest, pairedMean } from '../evaluation/paired-tests';
import type { LabelledRow } from './feedback-labels';
import { binaryLogLoss } from './label-window';
import type { ServedTask } from './model-task';

/** The paired comparison of a shadow with the version it shadowed, as the admin stats API returns it. */
export interface PairedStats {
  /** The serving version the shadow was paired with. */
  against: number;
  /** Labelled rows both versions scored. */
  labels: number;
  /** Binary: labels equal to 1. */
  positives: number;
  /** Per-row loss compared: log loss (binary, multiclass) or absolute error (regression). */
  loss: 'logLoss' | 'absoluteError';
  /** Mean per-row loss of the shadow minus the other's, and its paired standard error; null under 2 rows. */
  lossDifference: { mean: number; standardError: number } | null;
  /** Binary: shadow AUC minus the other's and DeLong's standard error; null without both classes. */
  aucDifference: { estimate: number; standardError: number; shadow: number; against: number } | null;
}

/** Bytes per kept pair: time (8), two scores (4 + 4), the other version (4), label (1). */
export const PAIR_BYTES = 21;

const MIN_PROBABILITY = 1e-15;

export class PairedWindow {
  private readonly predictedAt: Float64Array;
  private readonly against: Uint32Array;
  private readonly served: Float32Array;
  private readonly shadow: Float32Array;
  private readonly labels: Uint8Array;
  private next = 0;
  private size = 0;

  constructor(
    readonly capacity: number,
    readonly task: ServedTask['task'] = 'binary',
  ) {
    this.predictedAt = new Float64Array(capacity);
    this.against = new Uint32Array(capacity);
    this.served = new Float32Array(capacity);
    this.shadow = new Float32Array(capacity);
    this.labels = new Uint8Array(capacity);
  }

  /** Keeps one labelled row as both versions scored it (`served` and `shadow` from the same label). */
  add(predictedAtMs: number, against: number, served: LabelledRow, shadow: LabelledRow): void {
    this.predictedAt[this.next] = predictedAtMs;
    this.against[this.next] = against;
    this.served[this.next] = served.score;
    this.shadow[this.next] = shadow.score;
    this.labels[this.next] = served.label;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The paired comparison with version `against` over rows predicted within [fromMs, toMs]. */
  summarize(against: number, fromMs = -Infinity, toMs = Infinity): PairedStats {
    const a: number[] = [];
    const b: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const at = this.predictedAt[i];
      if (this.against[i] !== against || at < fromMs || at > toMs) continue;
      a.push(this.shadow[i]);
      b.push(this.served[i]);
      y.push(this.labels[i]);
    }
    const lossOf = (score: number, label: number) =>
      this.task === 'binary' ? binaryLogLoss(score, label) : this.task === 'multiclass' ? -Math.log(Math.max(score, MIN_PROBABILITY)) : Math.abs(score);
    const n = y.length;
    const positives = this.task === 'binary' ? y.reduce((s, v) => s + v, 0) : 0;
    const diff = n >= 2 ? pairedMean(a.map((s, i) => lossOf(s, y[i])), b.map((s, i) => lossOf(s, y[i]))) : undefined;
    let auc: PairedStats['aucDifference'] = null;
    if (this.task === 'binary' && positives > 0 && positives < n) {
      const d = delongTest(a, b, y);
      auc = { estimate: d.difference, standardError: d.standardError, shadow: d.aucA, against: d.aucB };
    }
    return {
      against,
      labels: n,
      positives,
      loss: this.task === 'regression' ? 'absoluteError' : 'logLoss',
      lossDifference: diff ? { mean: diff.mean, standardError: diff.standardError } : null,
      aucDifference: auc,
    };
  }
}
