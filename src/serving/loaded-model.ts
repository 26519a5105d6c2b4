/**
 * One model version in memory: an onnxruntime session plus a lease count, so a version
 * taken out of a deployment keeps answering the requests already routed to it and its
 * session is released only after the last of them finishes.
 *
 * Requests that arrive in the same event-loop turn are scored in one `session.run`
 * (dynamic micro-batching, no added wait): a run costs a few hundred microseconds of
 * fixed overhead and only microseconds per extra row, so under load the batches grow and
 * the cost per request falls (see ARCHITECTURE.md).
 */
import type * as ort from 'onnxruntime-node';
import type { FeatureValue } from '../evaluation/score-model';
import type { RowScorer } from './linear-scorer';
import { BINARY, taskWidth, type ServedTask } from './model-task';
import { scoreTask } from './score-task';

/** A feature row as a client sends it. */
export type FeatureRow = Record<string, FeatureValue>;

/** One input of a model: a feature column, numeric (`float32`) or categorical (`string`). */
export interface ModelInput {
  name: string;
  kind: 'float32' | 'string';
}

/** Rows merged into one run at most; a larger request runs on its own. */
const MAX_BATCH_ROWS = 256;

interface Pending {
  rows: FeatureRow[];
  resolve: (scores: Float32Array) => void;
  reject: (err: unknown) => void;
}

export class LoadedModel {
  private leases = 0;
  private retired = false;
  private released = false;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private inputList: ModelInput[] | undefined;

  constructor(
    readonly model: string,
    readonly version: number,
    /** sha256 of the ONNX bytes the session was created from (verified against the registry's ref). */
    readonly sha256: string,
    private readonly session: ort.InferenceSession,
    /** Epoch milliseconds when the session was created. */
    readonly loadedAt: number = Date.now(),
    /** What the model predicts (checked against its outputs on load, model-task.ts). */
    readonly task: ServedTask = BINARY,
    /** Scores in TypeScript instead of the session (a proven linear binary model, linear-scorer.ts). @default undefined */
    private readonly scorer?: RowScorer,
  ) {
    this.width = taskWidth(task);
  }

  /** Numbers per row in a prediction: 1 (P(label = 1) or the value) or the number of classes. */
  readonly width: number;

  /** What scores this version's rows. */
  get scoredBy(): 'typescript' | 'onnxruntime' {
    return this.scorer ? 'typescript' : 'onnxruntime';
  }

  /** The model's input names: the feature columns a row should carry. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Each input with its kind (the contract allows float and string inputs), in the model's order. */
  get inputs(): readonly ModelInput[] {
    this.inputList ??= this.session.inputNames.map((name) => {
      const meta = this.session.inputMetadata?.find((m) => m.name === name);
      return { name, kind: meta?.isTensor && meta.type === 'string' ? 'string' : 'float32' };
    });
    return this.inputList;
  }

  /**
   * Takes a lease; call synchronously with routing, before any await, so a concurrent
   * switch cannot release the session between the routing decision and the inference.
   */
  acquire(): void {
    this.leases++;
  }

  /** Returns a lease; releases the session if the version was retired and this was the last. */
  releaseLease(): void {
    this.leases--;
    if (this.retired && this.leases === 0) this.dispose();
  }

  /**
   * Per row: P(label = 1) (binary), the K class probabilities (multiclass, row-major) or the
   * predicted value (regression); {@link width} numbers a row. The caller must hold a lease.
   */
  predict(rows: FeatureRow[]): Promise<Float32Array> {
    // Microseconds of synchronous work: nothing to gain from waiting for a batch.
    if (this.scorer) {
      try {
        return Promise.resolve(this.scorer(rows));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate runs after the poll phase, i.e. after every request that arrived in this turn has queued.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0].rows.length <= MAX_BATCH_ROWS)) {
      const next = this.queue.shift()!;
      batch.push(next);
      rows += next.rows.length;
    }
    if (this.queue.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    void this.run(batch);
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [one] = batch;
      await this.score(one.rows).then(one.resolve, one.reject);
      return;
    }
    let scores: Float32Array;
    try {
      scores = await this.score(batch.flatMap((p) => p.rows));
    } catch {
      // One request must not fail its neighbours: on a failed batch each request runs alone.
      await Promise.all(batch.map((p) => this.score(p.rows).then(p.resolve, p.reject)));
      return;
    }
    let offset = 0;
    for (const p of batch) {
      // A view, answered and then dropped; the feedback ledger keeps a copy of its own, so no
      // remembered request keeps the whole batch's buffer alive.
      const end = offset + p.rows.length * this.width;
      p.resolve(scores.subarray(offset, end));
      offset = end;
    }
  }

  private score(rows: FeatureRow[]): Promise<Float32Array> {
    return scoreTask(this.session, this.task, this.inputs, rows);
  }

  /** Marks the version as out of service; the session is released once no lease remains. */
  retire(): void {
    this.retired = true;
    if (this.leases === 0) this.dispose();
  }

  get inFlight(): number {
    return this.leases;
  }

  get isReleased(): boolean {
    return this.released;
  }

  private dispose(): void {
    if (this.released) return;
    this.released = true;
    // Release is best effort: a failure here must not fail the request that triggered it.
    void this.session.release().catch(() => undefined);
  }
}
