/**
 * One logged prediction row, as written to the write-ahead segment (one JSON line) and then to a
 * Parquet window. A row may be a half: an external server's payload logger sends the request
 * (features) and the response (prediction) as two events, and feedback adds the label later, so
 * every part but the key is optional and readers merge rows by (source, request_id, row).
 */
export interface InferenceLogRecord {
  /** The feedback key of the prediction (server-issued here; the external server's id otherwise). */
  requestId: string;
  /** Row index within the request (a request may score many rows). */
  row: number;
  /** Epoch milliseconds the prediction was served. */
  servedAt: number;
  model: string;
  /** Model version that served it; null when an external server does not say. */
  version: number | null;
  /** How it arrived: `v1`, `kserve-v1`, `oip-rest`, `oip-grpc`, `kserve-cloudevents`, `ndjson`, `feedback`. */
  protocol: string;
  /** Who logged it: `server` for this model server's own traffic, else the ingesting source's principal. */
  source: string;
  /** Feature name → value; absent on a response or label half. */
  features?: Record<string, unknown>;
  /** The prediction as JSON, whatever the task's output shape; absent on a request or label half. */
  prediction?: unknown;
  /** Ground truth, when feedback has joined. */
  label?: unknown;
}

/** The JSON line for a record: snake_case columns, prediction and label as JSON text (task-neutral). */
export function recordLine(r: InferenceLogRecord): string {
  return JSON.stringify({
    request_id: r.requestId,
    row: r.row,
    served_at: r.servedAt,
    model: r.model,
    version: r.version,
    protocol: r.protocol,
    source: r.source,
    features: r.features ?? null,
    prediction: r.prediction === undefined ? null : JSON.stringify(r.prediction),
    label: r.label === undefined ? null : JSON.stringify(r.label),
  });
}
