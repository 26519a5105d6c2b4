/**
 * Per-version live statistics of the model server: request stats (version-stats.ts) and
 * live quality from feedback (label-window.ts), keyed by model and version.
 *
 * Memory is bounded in bytes: each version's entry can grow to a known worst case (a full
 * stats retention plus its label window), so at most `maxBytes / worst case` entries are
 * kept, and a new version evicts the least recently active one.
 */
import type { LabelledRow } from './feedback-labels';
import { LABEL_BYTES, LabelWindow, type FeedbackStats } from './label-window';
import { PAIR_BYTES, PairedWindow, type PairedStats } from './paired-window';
import { BINARY, type ServedTask } from './model-task';
import { secondBucketBytes, VersionStats, type RequestStats } from './version-stats';

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
  /** Bytes all versions' stats may take at most. @default Infinity */
  maxBytes?: number;
}

interface Entry {
  /** Worst-case bytes of this entry (its task decides). */
  bytes: number;
  requests: VersionStats;
  labels: LabelWindow;
  /** A shadow version's rows paired with the serving version's by request id; made on its first pair. */
  pairs?: PairedWindow;
  /** Epoch ms of the last request or label: the eviction order. */
  lastActive: number;
}

/** Worst-case bytes of one version's stats under these options (a binary version unless `task` says otherwise). */
export const versionStatsBytes = (o: Pick<LiveStatsOptions, 'retentionSeconds' | 'labelWindow'>, task: ServedTask = BINARY): number =>
  (o.retentionSeconds + 1) * secondBucketBytes(task) + o.labelWindow * LABEL_BYTES;

export class LiveStats {
  private readonly entries = new Map<string, Map<number, Entry>>();
  private count = 0;
  private reserved = 0;
  /** Binary versions whose stats fit in `maxBytes` (a multiclass or regression version takes more). */
  readonly maxEntries: number;

  /** @throws RangeError when not even one version's stats fit in `maxBytes`. */
  constructor(private readonly options: LiveStatsOptions) {
    const perEntry = versionStatsBytes(options);
    this.maxEntries = Math.floor((options.maxBytes ?? Infinity) / perEntry);
    if (!(this.maxEntries >= 1)) {
      throw new RangeError(
        `stats of one version take up to ${perEntry} bytes (retention ${options.retentionSeconds} s, label window ${options.labelWindow}), more than the stats budget of ${options.maxBytes} bytes`,
      );
    }
  }

  /** Records one request; `scores` reads per `task` (inference.ts), empty for a failed request. */
  recordRequest(model: string, version: number, nowMs: number, latencyMs: number, scores: ArrayLike<number>, failed: boolean, task: ServedTask = BINARY): void {
    this.entry(model, version, nowMs, task).requests.record(nowMs, latencyMs, scores, failed);
  }

  /** Records one labelled row, as {@link LabelWindow.add} reads it for the version's task. */
  recordLabel(model: string, version: number, predictedAtMs: number, score: number, label: 0 | 1, nowMs: number = predictedAtMs, task: ServedTask = BINARY): void {
    this.entry(model, version, nowMs, task).labels.add(predictedAtMs, score, label);
  }

  /**
   * Records one labelled row that shadow version `shadow` and serving version `against` both scored
   * (the same request). The shadow's entry takes its pair window's bytes on the first pair, evicting
   * the least recently active other versions if the budget needs it.
   */
  recordPair(model: string, shadow: number, against: number, predictedAtMs: number, served: LabelledRow, shadowRow: LabelledRow, nowMs: number, task: ServedTask = BINARY): void {
    const entry = this.entry(model, shadow, nowMs, task);
    if (!entry.pairs) {
      const bytes = this.options.labelWindow * PAIR_BYTES;
      entry.bytes += bytes;
      this.reserved += bytes;
      // Never evicts itself: marked most active while the others make room.
      const active = entry.lastActive;
      entry.lastActive = Infinity;
      while (this.count > 1 && this.reserved > (this.options.maxBytes ?? Infinity)) this.evictLeastActive();
      entry.lastActive = active;
      entry.pairs = new PairedWindow(this.options.labelWindow, task.task);
    }
    entry.pairs.add(predictedAtMs, against, served, shadowRow);
  }

  /** The paired comparison of shadow version `shadow` with `against` between two instants; undefined without pairs. */
  paired(model: string, shadow: number, against: number, fromMs: number, toMs: number): PairedStats | undefined {
    const pairs = this.entries.get(model)?.get(shadow)?.pairs;
    if (!pairs) return undefined;
    const stats = pairs.summarize(against, fromMs, toMs);
    return stats.labels > 0 ? stats : undefined;
  }

  /** Versions with stats kept. */
  get size(): number {
    return this.count;
  }

  /** Worst-case bytes the kept stats can take (what the budget is checked against). */
  get reservedBytes(): number {
    return this.reserved;
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
      if (!keep.has(version) && (entry.requests.lastSecond() ?? -Infinity) < horizon) this.drop(model, version);
    }
  }

  private entry(model: string, version: number, nowMs: number, task: ServedTask): Entry {
    let versions = this.entries.get(model);
    let entry = versions?.get(version);
    if (!entry) {
      const bytes = versionStatsBytes(this.options, task);
      // A version larger than the whole budget (many classes, long retention) evicts every other and is still kept.
      while (this.count > 0 && this.reserved + bytes > (this.options.maxBytes ?? Infinity)) this.evictLeastActive();
      versions = this.entries.get(model);
      if (!versions) this.entries.set(model, (versions = new Map()));
      versions.set(version, (entry = this.emptyEntry(nowMs, task, bytes)));
      this.count++;
      this.reserved += bytes;
    }
    if (nowMs > entry.lastActive) entry.lastActive = nowMs;
    return entry;
  }

  private evictLeastActive(): void {
    let oldest: { model: string; version: number; at: number } | undefined;
    for (const [model, versions] of this.entries) {
      for (const [version, e] of versions) if (!oldest || e.lastActive < oldest.at) oldest = { model, version, at: e.lastActive };
    }
    if (oldest) this.drop(oldest.model, oldest.version);
  }

  private drop(model: string, version: number): void {
    const versions = this.entries.get(model);
    const entry = versions?.get(version);
    if (!entry || !versions?.delete(version)) return;
    this.count--;
    this.reserved -= entry.bytes;
    if (versions.size === 0) this.entries.delete(model);
  }

  private emptyEntry(nowMs: number, task: ServedTask, bytes: number): Entry {
    return { bytes, requests: new VersionStats(this.options.retentionSeconds, task), labels: new LabelWindow(this.options.labelWindow, task.task), lastActive: nowMs };
  }
}
