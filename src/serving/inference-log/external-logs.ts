/**
 * Prediction logs from servers other than this one, turned into inference log records (pure).
 * Two formats:
 *
 * - **KServe's payload logger**: CloudEvents over HTTP, one event per request and one per response,
 *   types `org.kubeflow.serving.inference.request` / `.response`, paired by `ce-id`. Data is a KServe
 *   V1 body (`instances` / `predictions`) or an Open Inference Protocol one (`inputs` / `outputs`,
 *   one tensor per column or one row-major tensor). Each event becomes one half-row per instance;
 *   readers merge halves by (source, request id, row), so the pair survives arriving in either order,
 *   on different connections, or across a restart.
 * - **NDJSON**, one prediction row per line (docs/inference-log.md):
 *   `{"requestId": "r1", "time": "2026-01-01T00:00:00Z", "version": 3, "features": {...}, "prediction": 0.7, "label": 1}`;
 *   `requestId` and one of features / prediction / label are required, `row` defaults to 0.
 *
 * A batch is all or nothing: the first bad row refuses it with a message naming it.
 */
import type { InferenceLogRecord } from './log-record';

export const KSERVE_REQUEST = 'org.kubeflow.serving.inference.request';
export const KSERVE_RESPONSE = 'org.kubeflow.serving.inference.response';

/** Who posts and for which model: the parts of a record the route knows. */
export interface LogContext {
  model: string;
  source: string;
  /** Epoch ms, used when an event or line has no time of its own. */
  now: number;
}

export type Parsed = { ok: true; records: InferenceLogRecord[] } | { ok: false; error: string };

const MAX_ID = 128;

/** One CloudEvent (binary or structured mode) of KServe's payload logger. */
export function fromCloudEvent(event: { id?: string; type?: string; time?: string; data: unknown }, ctx: LogContext, maxRows: number): Parsed {
  if (!event.id || event.id.length > MAX_ID) return fail(`ce-id: required, at most ${MAX_ID} characters (the id pairing a request with its response)`);
  if (event.type !== KSERVE_REQUEST && event.type !== KSERVE_RESPONSE) return fail(`ce-type: "${event.type ?? ''}" is not ${KSERVE_REQUEST} or ${KSERVE_RESPONSE}`);
  const servedAt = event.time === undefined ? ctx.now : Date.parse(event.time);
  if (Number.isNaN(servedAt)) return fail(`ce-time: "${event.time}" is not an RFC 3339 time`);
  if (typeof event.data !== 'object' || event.data === null) return fail('data: expected a JSON object (a KServe V1 or Open Inference Protocol body)');
  const body = event.data as Record<string, unknown>;
  const base = { requestId: event.id, servedAt, model: ctx.model, version: null, protocol: 'kserve-cloudevents', source: ctx.source };
  const rows = event.type === KSERVE_REQUEST ? requestRows(body) : responseRows(body);
  if (typeof rows === 'string') return fail(rows);
  if (rows.length === 0 || rows.length > maxRows) return fail(`data: ${rows.length} rows; a log event carries 1 to ${maxRows}`);
  const records = rows.map((value, row): InferenceLogRecord => (event.type === KSERVE_REQUEST ? { ...base, row, features: value as Record<string, unknown> } : { ...base, row, prediction: value }));
  return { ok: true, records };
}

/** An NDJSON body of prediction rows. */
export function fromNdjson(text: string, ctx: LogContext, maxRows: number): Parsed {
  const lines = text.split('\n').map((l) => l.trim());
  const records: InferenceLogRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]) continue;
    if (records.length >= maxRows) return fail(`more than ${maxRows} lines; send at most ${maxRows} per request`);
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch {
      return fail(`line ${i + 1}: not JSON`);
    }
    const r = ndjsonRecord(value, ctx);
    if (typeof r === 'string') return fail(`line ${i + 1}: ${r}`);
    records.push(r);
  }
  if (records.length === 0) return fail('no lines: send one JSON prediction row per line');
  return { ok: true, records };
}

function ndjsonRecord(value: unknown, ctx: LogContext): InferenceLogRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.requestId !== 'string' || v.requestId.length === 0 || v.requestId.length > MAX_ID) return `"requestId": a string of 1 to ${MAX_ID} characters`;
  const row = v.row ?? 0;
  if (!Number.isInteger(row) || (row as number) < 0) return `"row": ${JSON.stringify(v.row)} is not a row index (an integer ≥ 0)`;
  const version = v.version ?? null;
  if (version !== null && (!Number.isInteger(version) || (version as number) < 1)) return `"version": ${JSON.stringify(v.version)} is not a version number (an integer ≥ 1)`;
  const servedAt = v.time === undefined ? ctx.now : typeof v.time === 'number' ? v.time : typeof v.time === 'string' ? Date.parse(v.time) : NaN;
  if (!Number.isFinite(servedAt)) return `"time": ${JSON.stringify(v.time)} is not an ISO 8601 time or epoch milliseconds`;
  if (v.features !== undefined && (typeof v.features !== 'object' || v.features === null || Array.isArray(v.features))) return '"features": expected an object of feature name → value';
  if (v.features === undefined && v.prediction === undefined && v.label === undefined) return 'send at least one of "features", "prediction", "label"';
  return {
    requestId: v.requestId,
    row: row as number,
    servedAt,
    model: ctx.model,
    version: version as number | null,
    protocol: 'ndjson',
    source: ctx.source,
    ...(v.features === undefined ? {} : { features: v.features as Record<string, unknown> }),
    ...(v.prediction === undefined ? {} : { prediction: v.prediction }),
    ...(v.label === undefined ? {} : { label: v.label }),
  };
}

/** Feature rows of a V1 (`instances`) or OIP (`inputs`) request body. */
function requestRows(body: Record<string, unknown>): unknown[] | string {
  if (Array.isArray(body.instances)) {
    return body.instances.map((x) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? x : Object.fromEntries((Array.isArray(x) ? x : [x]).map((v, j) => [`x${j}`, v]))));
  }
  if (Array.isArray(body.inputs)) return tensorRows(body.inputs, 'inputs');
  return 'data: a request event needs "instances" (KServe V1) or "inputs" (Open Inference Protocol)';
}

/** Predictions of a V1 (`predictions`) or OIP (`outputs`) response body. */
function responseRows(body: Record<string, unknown>): unknown[] | string {
  if (Array.isArray(body.predictions)) return body.predictions;
  if (Array.isArray(body.outputs)) return tensorRows(body.outputs, 'outputs');
  return 'data: a response event needs "predictions" (KServe V1) or "outputs" (Open Inference Protocol)';
}

/** OIP tensors → one object per row: a `[n]`/`[n, 1]` tensor is a column, an `[n, k]` one k columns `name_j`. */
function tensorRows(tensors: unknown[], field: string): Record<string, unknown>[] | string {
  let rows: Record<string, unknown>[] | undefined;
  for (let t = 0; t < tensors.length; t++) {
    const tensor = tensors[t] as { name?: unknown; shape?: unknown; data?: unknown };
    const where = `data.${field}[${t}]`;
    if (typeof tensor?.name !== 'string' || !Array.isArray(tensor.shape) || !Array.isArray(tensor.data)) return `${where}: expected {name, shape, datatype, data} with JSON data`;
    const shape = tensor.shape as number[];
    const data = (tensor.data as unknown[]).flat(Infinity);
    const n = shape[0];
    const width = shape.slice(1).reduce((a, b) => a * b, 1);
    if (!Number.isInteger(n) || n < 0 || data.length !== n * width) return `${where}: shape ${JSON.stringify(shape)} does not match ${data.length} values`;
    rows ??= Array.from({ length: n }, () => ({}));
    if (rows.length !== n) return `${where}: ${n} rows where the first tensor has ${rows.length}`;
    for (let i = 0; i < n; i++) {
      if (width === 1) rows[i][tensor.name] = data[i];
      else for (let j = 0; j < width; j++) rows[i][`${tensor.name}_${j}`] = data[i * width + j];
    }
  }
  return rows ?? `data.${field}: no tensors`;
}

const fail = (error: string): Parsed => ({ ok: false, error });
