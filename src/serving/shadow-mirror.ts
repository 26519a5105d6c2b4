/**
 * Shadow mode: every request routed to a deployment's serving versions is also scored by its
 * shadow version (weight 0), off the response path, so a candidate is judged on live traffic
 * and live labels before any caller is answered by it.
 *
 * The caller's answer never waits for the shadow: a mirrored request is queued and scored after
 * the current event-loop turn (`setImmediate`, i.e. after the answer was handed to the socket).
 * The queue is bounded in requests and in rows, and scored by at most `concurrency` loops; when it
 * is full the request is not mirrored and the drop is counted, so a slow or stuck shadow costs
 * memory and CPU up to a known limit and never fails the champion.
 * The shadow's prediction is recorded under the champion's request id (the feedback ledger), so
 * a label posted for that request credits both versions: the shadow's live quality is measured
 * on the same requests as the champion's.
 */
import { creditShadow } from './feedback-credit';
import type { FeedbackLedger } from './feedback-ledger';
import type { FeatureRow, LoadedModel } from './loaded-model';
import type { LiveStats } from './live-stats';
import type { ServingMetrics } from './serving-metrics';

export interface ShadowMirrorDeps {
  stats: LiveStats;
  ledger: FeedbackLedger;
  metrics: ServingMetrics;
  /** Mirrored requests queued or being scored at most; beyond it requests are dropped (counted). */
  maxPending: number;
  /**
   * Rows of those requests at most (a batch request holds up to the server's batch limit): the
   * queue's memory is bounded by rows, not by requests alone. @default 64 × maxPending
   */
  maxPendingRows?: number;
  /** Shadow predictions running at once; the rest wait in the queue, so the shadow never takes every scoring thread. @default 2 */
  concurrency?: number;
}

/** One request to score in the shadow. */
export interface MirroredRequest {
  model: string;
  rows: FeatureRow[];
  /** Epoch ms the champion answered: the shadow's prediction time, so both land in the same stats second. */
  at: number;
  /** The champion's feedback key; absent when the champion failed (nothing to label). */
  requestId?: string;
}

/** Mirror counts of one model since the server started. */
export interface ShadowCounts {
  scored: number;
  failed: number;
  dropped: number;
}

export class ShadowMirror {
  private pending = 0;
  private pendingRows = 0;
  private running = 0;
  private readonly queue: { shadow: LoadedModel; req: MirroredRequest }[] = [];
  private readonly counts = new Map<string, ShadowCounts>();
  private readonly maxPendingRows: number;
  private readonly concurrency: number;

  constructor(private readonly deps: ShadowMirrorDeps) {
    this.maxPendingRows = deps.maxPendingRows ?? 64 * deps.maxPending;
    this.concurrency = Math.max(1, deps.concurrency ?? 2);
  }

  /** Requests queued or being scored now. */
  get inFlight(): number {
    return this.pending;
  }

  /** Mirror counts of `model` (zeros when never mirrored). */
  countsOf(model: string): ShadowCounts {
    return { ...(this.counts.get(model) ?? { scored: 0, failed: 0, dropped: 0 }) };
  }

  /**
   * Queues `req` for `shadow`, whose lease the caller took (and hands over: it is returned here
   * once the shadow is done, or at once when the request is dropped). Synchronous and O(1).
   */
  mirror(shadow: LoadedModel, req: MirroredRequest): void {
    if (this.pending >= this.deps.maxPending || this.pendingRows + req.rows.length > this.maxPendingRows) {
      shadow.releaseLease();
      this.count(req.model, shadow.version, 'dropped');
      return;
    }
    this.pending++;
    this.pendingRows += req.rows.length;
    if (req.requestId !== undefined) this.deps.ledger.awaitShadow(req.requestId);
    this.queue.push({ shadow, req });
    if (this.running < this.concurrency) {
      this.running++;
      setImmediate(() => void this.drain());
    }
  }

  /** One of at most `concurrency` loops scoring the queue until it is empty. */
  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.score(next.shadow, next.req);
    this.running--;
  }

  private async score(shadow: LoadedModel, req: MirroredRequest): Promise<void> {
    const started = performance.now();
    try {
      const scores = await shadow.predict(req.rows);
      this.deps.stats.recordRequest(req.model, shadow.version, req.at, performance.now() - started, scores, false, shadow.task);
      const record = req.requestId === undefined ? undefined : this.deps.ledger.attachShadow(req.requestId, shadow.version, scores, shadow.task);
      // The label came before the shadow scored: credit the shadow now, on the same request.
      const pending = record && this.deps.ledger.takePendingLabels(req.requestId!, record);
      if (record && pending) creditShadow(this.deps, record, pending.labels, pending.at);
      this.count(req.model, shadow.version, 'scored');
    } catch {
      if (req.requestId !== undefined) this.deps.ledger.shadowFailed(req.requestId);
      // A failing shadow is evidence (its error rate), never the caller's problem.
      this.deps.stats.recordRequest(req.model, shadow.version, req.at, performance.now() - started, [], true, shadow.task);
      this.count(req.model, shadow.version, 'failed');
    } finally {
      shadow.releaseLease();
      this.pending--;
      this.pendingRows -= req.rows.length;
    }
  }

  private count(model: string, version: number, outcome: keyof ShadowCounts): void {
    let c = this.counts.get(model);
    if (!c) this.counts.set(model, (c = { scored: 0, failed: 0, dropped: 0 }));
    c[outcome]++;
    this.deps.metrics.shadowed(model, version, outcome);
  }
}
