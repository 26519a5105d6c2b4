/**
 * Per-version live statistics of the model server: request stats (version-stats.ts) and
 * live quality from feedback (label-window.ts), keyed by model and version.
 */
import { LabelWindow, type FeedbackStats } from './label-window';
import { VersionStats, type RequestStats } from './version-stats';

/** One version's live stats over a time range: the shape the canary analysis reads. */
export interface VersionLiveStats extends RequestStats {
  version: number;
  feedback: FeedbackStats;
}

export interface LiveStatsOptions {
  /** Seconds of request stats kept. */
  retentionSeconds: number;
  /** Labelled rows kept per version. */
  labelWindow: number;
}

interface Entry {
  requests: VersionStats;
  labels: LabelWindow;
}

export class LiveStats {
  private readonly entries = new Map<string, Map<number, Entry>>();

  constructor(private readonly options: LiveStatsOptions) {}

  recordRequest(model: string, version: number, nowMs: number, latencyMs: number, scores: ArrayLike<number>, failed: boolean): void {
    this.entry(model, version).requests.record(nowMs, latencyMs, scores, failed);
  }

  recordLabel(model: string, version: number, predictedAtMs: number, score: number, label: 0 | 1): void {
    this.entry(model, version).labels.add(predictedAtMs, score, label);
  }

  /** Versions of `model` with any recorded stats, ascending. */
  versions(model: string): number[] {
    return [...(this.entries.get(model)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Stats of one version between two instants; all zeros/nulls for a version never seen. */
  summarize(model: string, version: number, fromMs: number, toMs: number): VersionLiveStats {
    const entry = this.entries.get(model)?.get(version) ?? { requests: new VersionStats(1), labels: new LabelWindow(1) };
    return { version, ...entry.requests.summarize(fromMs, toMs), feedback: entry.labels.summarize(fromMs, toMs) };
  }

  /** Live quality of every version over its whole label window (for /metrics). */
  *qualities(): Generator<{ model: string; version: number; feedback: FeedbackStats }> {
    for (const [model, versions] of this.entries) {
      for (const [version, entry] of versions) yield { model, version, feedback: entry.labels.summarize() };
    }
  }

  /**
   * Drops stats of versions of `model` not in `keep` whose last request is older than the
   * retention, so a server that rolls through many versions does not grow without bound.
   */
  prune(model: string, keep: ReadonlySet<number>, nowMs: number): void {
    const versions = this.entries.get(model);
    if (!versions) return;
    const horizon = Math.floor(nowMs / 1000) - this.options.retentionSeconds;
    for (const [version, entry] of versions) {
      if (!keep.has(version) && (entry.requests.lastSecond() ?? -Infinity) < horizon) versions.delete(version);
    }
  }

  private entry(model: string, version: number): Entry {
    let versions = this.entries.get(model);
    if (!versions) this.entries.set(model, (versions = new Map()));
    let entry = versions.get(version);
    if (!entry) versions.set(version, (entry = this.emptyEntry()));
    return entry;
  }

  private emptyEntry(): Entry {
    return { requests: new VersionStats(this.options.retentionSeconds), labels: new LabelWindow(this.options.labelWindow) };
  }
}
