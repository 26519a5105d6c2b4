/**
 * Remembers which version answered each request and what it predicted, so ground truth
 * posted later can be credited to that version. Bounded twice: past `capacity` entries or
 * past `maxBytes` of retained memory, the oldest request is forgotten, and feedback for it is
 * answered 404. Bytes, not entries, are what run a server out of memory: one 1,000-row
 * request keeps 4 KB of scores, a single-row one a few bytes.
 */
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

export const ledgerEntryBytes = (record: PredictionRecord): number =>
  LEDGER_ENTRY_OVERHEAD_BYTES + record.scores.byteLength + (record.shadow ? SHADOW_OVERHEAD_BYTES + record.shadow.scores.byteLength : 0);

export class FeedbackLedger {
  // A Map iterates in insertion order, so its first key is always the oldest request.
  private readonly records = new Map<string, PredictionRecord>();
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
    this.records.set(requestId, own);
    this.retained += ledgerEntryBytes(own);
    this.evict();
  }

  private evict(): void {
    while (this.records.size > 0 && (this.records.size > this.capacity || this.retained > this.maxBytes)) {
      const [oldestId, oldest] = this.records.entries().next().value as [string, PredictionRecord];
      this.records.delete(oldestId);
      this.retained -= ledgerEntryBytes(oldest);
    }
  }

  /**
   * Attaches the shadow version's prediction to a remembered request (a copy, like
   * {@link remember}). False when the request was forgotten meanwhile or already labelled: a
   * label that came first was credited to the champion alone.
   */
  attachShadow(requestId: string, version: number, scores: Float32Array, task: ServedTask): boolean {
    const record = this.records.get(requestId);
    if (!record || record.labelled || record.shadow) return false;
    const before = ledgerEntryBytes(record);
    record.shadow = { version, scores: scores.slice(), task };
    this.retained += ledgerEntryBytes(record) - before;
    this.evict();
    return true;
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
