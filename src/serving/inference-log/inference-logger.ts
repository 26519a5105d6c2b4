/**
 * The inference log: a sampled share of served predictions (and every prediction log an external
 * server posts) kept as Parquet windows in the artifact store. The request path only samples and
 * pushes onto a bounded buffer; a flush off the request path (every `flushMs`, or at once when
 * `flushRows` are waiting) appends the buffer's JSON lines to the write-ahead segments and fsyncs
 * them, which is when a batch counts as acknowledged. A full buffer drops served rows and counts
 * them (`slipway_serving_inference_log_rows_total{outcome="dropped"}`); an external batch is
 * refused instead, so its sender retries. See ARCHITECTURE.md in this folder.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ArtifactStore } from '../../artifacts/artifact-store';
import type { FeatureRow } from '../loaded-model';
import { LogManifest } from './log-manifest';
import { recordLine, type InferenceLogRecord } from './log-record';
import { LogSegments, type SealedSegment } from './log-segments';
import { sealSegment } from './parquet-window';
import { sampleRate, type SampleRates } from './sample-rates';

/** The `source` of the model server's own rows and labels; callers of the logs route may not take it. */
export const SERVER_SOURCE = 'server';

/** What the inference path hands over for one answered request. */
export interface ServedPrediction {
  model: string;
  version: number;
  requestId: string;
  /** Epoch ms. */
  at: number;
  protocol: string;
  rows: FeatureRow[];
  scores: Float32Array;
}

/** The request path's view of the log: one cheap, synchronous call per answered request. */
export interface InferenceLogSink {
  /** @returns whether the prediction was sampled and buffered (feedback for it is then logged too) */
  served(p: ServedPrediction): boolean;
}

export interface InferenceLoggerOptions {
  /** Folder of the write-ahead segments and the window manifest. */
  dir: string;
  store: ArtifactStore;
  rates: SampleRates;
  /** @default 250 */
  flushMs?: number;
  /** Rows waiting that trigger a flush at once. @default 4096 */
  flushRows?: number;
  /** Rows buffered (not yet durable) at most; beyond it served rows are dropped and counted. @default 100000 */
  maxBufferedRows?: number;
  /** Length of a Parquet window. @default 300000 (5 minutes) */
  windowMs?: number;
  /** Rows after which a window is closed early. @default 500000 */
  maxWindowRows?: number;
  /** Counters go here (the model server's registry). */
  registry?: Registry;
  logger?: Logger;
  now?: () => number;
  /** Sampling draw in [0, 1). @default Math.random */
  random?: () => number;
}

/** An external batch arrived while the buffer is full: answer 503 and let the sender retry. */
export class InferenceLogFullError extends Error {
  override readonly name = 'InferenceLogFullError';
}

interface Waiter {
  records: InferenceLogRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class InferenceLogger implements InferenceLogSink {
  private served_: ServedPrediction[] = [];
  private waiters: Waiter[] = [];
  private pendingRows = 0;
  private flushing: Promise<void> | undefined;
  private sealing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly canaries = new Set<string>();
  private readonly segments: LogSegments;
  private readonly manifest: LogManifest;
  private readonly o: Required<Omit<InferenceLoggerOptions, 'registry' | 'logger'>> & Pick<InferenceLoggerOptions, 'logger'>;
  private readonly rowsTotal: Counter<'outcome'>;
  private readonly windowsTotal: Counter;
  /** Rows written and fsynced; rows dropped because the buffer was full; rows lost to a failed write. */
  readonly counts = { written: 0, dropped: 0, failed: 0, windows: 0 };

  constructor(options: InferenceLoggerOptions) {
    this.o = { flushMs: 250, flushRows: 4096, maxBufferedRows: 100_000, windowMs: 300_000, maxWindowRows: 500_000, now: Date.now, random: Math.random, ...options };
    this.segments = new LogSegments(this.o.dir, this.o.windowMs, this.o.maxWindowRows);
    this.manifest = new LogManifest(this.o.dir);
    const registers = options.registry ? [options.registry] : [];
    this.rowsTotal = new Counter({
      name: 'slipway_serving_inference_log_rows_total',
      help: 'Inference log rows by outcome: written (fsynced), dropped (buffer full), failed (write error).',
      labelNames: ['outcome'],
      registers,
    });
    this.windowsTotal = new Counter({ name: 'slipway_serving_inference_log_windows_total', help: 'Parquet windows of the inference log stored.', registers });
    const buffered = () => this.pendingRows;
    new Gauge({
      name: 'slipway_serving_inference_log_buffered_rows',
      help: 'Inference log rows waiting to be written.',
      registers,
      collect() {
        this.set(buffered());
      },
    });
  }

  /** Seals what an earlier process left (its acknowledged rows), then starts flushing. */
  async start(): Promise<void> {
    const leftovers = await this.segments.leftovers();
    for (const seg of leftovers) await this.seal(seg);
    this.timer = setInterval(() => this.flushSoon(), this.o.flushMs);
    this.timer.unref();
  }

  /** A canary runs on `model` (more than one version with traffic): log all of its requests. */
  setCanary(model: string, running: boolean): void {
    if (running) this.canaries.add(model);
    else this.canaries.delete(model);
  }

  served(p: ServedPrediction): boolean {
    if (this.closed) return false;
    const rate = sampleRate(this.o.rates, p.model, this.canaries.has(p.model));
    if (rate === 0 || (rate < 1 && this.o.random() >= rate)) return false;
    if (this.pendingRows + p.rows.length > this.o.maxBufferedRows) {
      this.counts.dropped += p.rows.length;
      this.rowsTotal.labels('dropped').inc(p.rows.length);
      return false;
    }
    // A copy: the scores may be a view of a micro-batch's shared buffer.
    this.served_.push({ ...p, scores: p.scores.slice() });
    this.pendingRows += p.rows.length;
    if (this.pendingRows >= this.o.flushRows) this.flushSoon();
    return true;
  }

  /**
   * Appends records from outside (an external server's prediction logs, feedback) and resolves
   * once they are fsynced: the caller may then acknowledge them.
   * @throws InferenceLogFullError when the buffer has no room (nothing is taken).
   */
  append(records: InferenceLogRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new InferenceLogFullError('The inference log is closing; retry against the restarted server'));
    if (this.pendingRows + records.length > this.o.maxBufferedRows) {
      return Promise.reject(new InferenceLogFullError(`The inference log buffer is full (${this.o.maxBufferedRows} rows); retry shortly`));
    }
    this.pendingRows += records.length;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ records, resolve, reject });
      this.flushSoon();
    });
  }

  /** Writes everything buffered and waits for it (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.flushing || this.pendingRows > 0) {
      this.flushSoon();
      await this.flushing;
    }
  }

  /** Flushes, seals every open segment into a window and stops. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    for (const seg of await this.segments.sealDue(this.o.now(), true)) void this.queueSeal(seg);
    await this.sealing;
  }

  private flushSoon(): void {
    if (this.flushing || this.pendingRows === 0) {
      if (!this.flushing) void this.queueDueSeals();
      return;
    }
    this.flushing = this.writeBatch().finally(() => {
      this.flushing = undefined;
      if (this.pendingRows >= this.o.flushRows || this.waiters.length > 0) this.flushSoon();
    });
  }

  private async writeBatch(): Promise<void> {
    const served = this.served_;
    const waiters = this.waiters;
    this.served_ = [];
    this.waiters = [];
    const byModel = new Map<string, string[]>();
    const add = (model: string, line: string) => {
      const lines = byModel.get(model);
      if (lines) lines.push(line);
      else byModel.set(model, [line]);
    };
    let rows = 0;
    for (const p of served) {
      for (let i = 0; i < p.rows.length; i++) {
        add(p.model, recordLine({ requestId: p.requestId, row: i, servedAt: p.at, model: p.model, version: p.version, protocol: p.protocol, source: SERVER_SOURCE, features: p.rows[i], prediction: { score: p.scores[i] } }));
      }
      rows += p.rows.length;
    }
    for (const w of waiters) for (const r of w.records) add(r.model, recordLine(r));
    rows += waiters.reduce((n, w) => n + w.records.length, 0);
    try {
      await this.segments.append(byModel, this.o.now());
      this.counts.written += rows;
      this.rowsTotal.labels('written').inc(rows);
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.counts.failed += rows;
      this.rowsTotal.labels('failed').inc(rows);
      this.o.logger?.error({ err, rows }, 'inference log write failed');
      for (const w of waiters) w.reject(err);
    } finally {
      this.pendingRows -= rows;
    }
    await this.queueDueSeals();
  }

  private async queueDueSeals(): Promise<void> {
    for (const seg of await this.segments.sealDue(this.o.now())) void this.queueSeal(seg);
  }

  /** Seals run one at a time, after the flushes that fed them, off the request path. */
  private queueSeal(seg: SealedSegment): Promise<void> {
    this.sealing = this.sealing.then(() => this.seal(seg));
    return this.sealing;
  }

  private async seal(seg: SealedSegment): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const window = await sealSegment(seg, this.o.store, this.manifest);
        if (window) {
          this.counts.windows++;
          this.windowsTotal.inc();
          this.o.logger?.info({ model: window.model, rows: window.rows, uri: window.ref.uri }, 'inference log window stored');
        }
        return;
      } catch (err) {
        // The segment stays on disk, so the rows are not lost: the next start seals it.
        this.o.logger?.error({ err, file: seg.file, attempt }, 'inference log window failed');
        if (attempt >= 3 || this.closed) return;
        await delay(1000 * attempt);
      }
    }
  }
}
