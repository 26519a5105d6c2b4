/**
 * Remembers which version answered each request and what it predicted, so ground truth
 * posted later can be credited to that version. Bounded: past `capacity` entries the
 * oldest request is forgotten, and feedback for it is answered 404.
 */

/** What the server remembers of one predict request. */
export interface PredictionRecord {
  model: string;
  version: number;
  /** P(label = 1) per row of the request. */
  scores: Float32Array;
  /** Epoch milliseconds of the answer. */
  predictedAt: number;
  /** Set once feedback arrived; a second feedback is refused. */
  labelled: boolean;
}

export class FeedbackLedger {
  // A Map iterates in insertion order, so its first key is always the oldest request.
  private readonly records = new Map<string, PredictionRecord>();

  constructor(readonly capacity: number) {}

  remember(requestId: string, record: PredictionRecord): void {
    this.records.set(requestId, record);
    if (this.records.size > this.capacity) this.records.delete(this.records.keys().next().value as string);
  }

  get(requestId: string): PredictionRecord | undefined {
    return this.records.get(requestId);
  }

  get size(): number {
    return this.records.size;
  }
}
