/**
 * Remembers which version answered each request and what it predicted, so ground truth
 * posted later can be credited to that version. Bounded twice: past `capacity` entries or
 * past `maxBytes` of retained memory, the oldest request is forgotten, and feedback for it is
 * answered 404. Bytes, not entries, are what run a server out of memory: one 1,000-row
 * request keeps 4 KB of scores, a single-row one a few bytes.
 */
import Denque from 'denque';
import { BINARY, type ServedTask } from './model-task';

/** What the server remembers of one predict request. */
export interface PredictionRecord {
  model: string;
  version: number;
  /** The prediction per row of the request (per task, inference.ts); owns its buffer (never a view into a batch's). */
  scores: Float32Array;
  /** The version's task: which labels fit and how `scores` reads. */
  task: ServedTask;
  /** Epoch milliseconds of the answer. */
  predictedAt: number;
  /** Set once feedback arrived; a second feedback is refused. */
  labelled: boolean;
  /** The inference log holds this request's rows, so its labels are logged too (joined by request id). */
  logged: boolean;
  /** The shadow version's prediction of the same rows (shadow-mirror.ts), once it was scored. */
  shadow?: { version: number; scores: Float32Array; task: ServedTask };
  /** A shadow was queued for this request and has not scored it yet (shadow-mirror.ts). */
  awaitingShadow?: boolean;
  /**
   * The labels posted while the shadow had not scored the request yet, kept so the shadow is
   * credited when it does (then dropped): a label arriving first credits both versions, not the
   * serving one alone.
   */
  pendingLabels?: { labels: readonly unknown[]; at: number };
}

/**
 * Estimated bytes of one entry besides its scores: the request id string (36 characters),
 * the record object, the Float32Array with its own ArrayBuffer, and the Map slot. Measured
 * on Node 20 with `--expose-gc` (heap + array buffers over 100,000 entries): ≈ 780–800
 * bytes; rounded up.
 */
export const LEDGER_ENTRY_OVERHEAD_BYTES = 832;

/** Estimated bytes of a shadow prediction attached to an entry: its object and Float32Array, plus the scores. */
export const SHADOW_OVERHEAD_BYTES = 160;

/** Estimated bytes of labels kept for a shadow still to score: the array and its object, 16 bytes an entry (short strings or numbers). */
export const PENDING_LABELS_OVERHEAD_BYTES = 96;

export const ledgerEntryBytes = (record: PredictionRecord): number =>
  LEDGER_ENTRY_OVERHEAD_BYTES +
  record.scores.byteLength +
  (record.shadow ? SHADOW_OVERHEAD_BYTES + record.shadow.scores.byteLength : 0) +
  (record.pendingLabels ? PENDING_LABELS_OVERHEAD_BYTES + 16 * record.pendingLabels.labels.length : 0);

export class FeedbackLedger {
  private readonly records = new Map<string, PredictionRecord>();
  /**
   * The request ids oldest first, for eviction. Not the Map's own first key: V8 leaves a deleted
   * entry as a hole until the table is rebuilt, and an iterator steps over every hole from the
   * start, so with the oldest always deleted, finding the next oldest took ~100 µs a request at
   * 150,000 entries (the full ledger of a busy server: bench:serving-perf's steady state).
   */
  private readonly order = new Denque<string>();
  private retained = 0;

  /**
   * @param capacity most request ids remembered
   * @param maxBytes most bytes retained by the entries (estimated, see {@link ledgerEntryBytes})
   */
  constructor(
    readonly capacity: number,
    readonly maxBytes: number = Infinity,
  ) {}

  /**
   * Remembers an answered request. `scores` may be a view into a micro-batch's shared buffer:
   * the ledger keeps a copy of just these scores, so it never keeps a whole batch alive. Always
   * copying is cheaper than asking whether it is a view: reading `.buffer` of a small typed
   * array makes V8 materialise an ArrayBuffer for it.
   */
  remember(requestId: string, model: string, version: number, scores: Float32Array, predictedAt: number, task: ServedTask = BINARY, logged = false): void {
    const own: PredictionRecord = { model, version, scores: scores.slice(), task, predictedAt, labelled: false, logged };
    const previous = this.records.get(requestId);
    // Ids are server-issued UUIDs; a repeat replaces the record and keeps its place in line, as a Map does.
    if (previous) this.retained -= ledgerEntryBytes(previous);
    else this.order.push(requestId);
    this.records.set(requestId, own);
    this.retained += ledgerEntryBytes(own);
    this.evict();
  }

  private evict(): void {
    while (this.records.size > 0 && (this.records.size > this.capacity || this.retained > this.maxBytes)) {
      const oldestId = this.order.shift()!;
      const oldest = this.records.get(oldestId)!;
      this.records.delete(oldestId);
      this.retained -= ledgerEntryBytes(oldest);
    }
  }

  /**
   * Attaches the shadow version's prediction to a remembered request (a copy, like
   * {@link remember}). Returns the record, or undefined when the request was forgotten meanwhile,
   * already has a shadow prediction, or was labelled without waiting for a shadow. A
   * record returned with `pendingLabels` was labelled first: the caller credits the shadow with
   * them ({@link takePendingLabels}).
   */
  attachShadow(requestId: string, version: number, scores: Float32Array, task: ServedTask): PredictionRecord | undefined {
    const record = this.records.get(requestId);
    if (!record) return undefined;
    // Labelled while awaiting this shadow: either its labels wait here, or the label route is still
    // writing them to the inference log and credits the shadow it then finds attached.
    const awaited = record.awaitingShadow === true;
    record.awaitingShadow = false;
    if (record.shadow || (record.labelled && !record.pendingLabels && !awaited)) return undefined;
    this.resize(requestId, record, () => (record.shadow = { version, scores: scores.slice(), task }));
    return record;
  }

  /** Marks a request as mirrored to a shadow: a label posted before the shadow scored it is kept for it. */
  awaitShadow(requestId: string): void {
    const record = this.records.get(requestId);
    if (record && !record.labelled) record.awaitingShadow = true;
  }

  /** The shadow could not score the request: no label waits for it any more. */
  shadowFailed(requestId: string): void {
    const record = this.records.get(requestId);
    if (!record) return;
    record.awaitingShadow = false;
    this.takePendingLabels(requestId, record);
  }

  /** Keeps the labels of a request whose shadow has not scored it yet (its bytes counted). */
  keepLabelsForShadow(requestId: string, record: PredictionRecord, labels: readonly unknown[], at: number): void {
    this.resize(requestId, record, () => (record.pendingLabels = { labels, at }));
  }

  /** The labels kept for the shadow, removed from the record. */
  takePendingLabels(requestId: string, record: PredictionRecord): { labels: readonly unknown[]; at: number } | undefined {
    const pending = record.pendingLabels;
    if (pending) this.resize(requestId, record, () => delete record.pendingLabels);
    return pending;
  }

  private resize(requestId: string, record: PredictionRecord, change: () => void): void {
    // A record forgotten meanwhile (the label waited for the log) is no longer counted.
    const kept = this.records.get(requestId) === record;
    const before = ledgerEntryBytes(record);
    change();
    if (!kept) return;
    this.retained += ledgerEntryBytes(record) - before;
    this.evict();
  }

  get(requestId: string): PredictionRecord | undefined {
    return this.records.get(requestId);
  }

  get size(): number {
    return this.records.size;
  }

  /** Estimated bytes retained by the remembered entries. */
  get bytes(): number {
    return this.retained;
  }
}
