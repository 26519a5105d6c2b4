/**
 * Validates a predict request body by hand. This is the one hot path where zod's cost
 * (≈ 15 µs a request, measured at ~6% of the server's time per single-row request) is worth
 * replacing with a dozen lines of checks; the rules match the OpenAPI-style description:
 * `{ row: {...} }` or `{ rows: [{...}, ...] }`, feature values numbers, strings, booleans
 * or null, and an optional `routingKey` string.
 */
import type { FeatureRow } from './loaded-model';

export type PredictBody = { ok: true; rows: FeatureRow[]; routingKey?: string } | { ok: false; problems: string[] };

const MAX_ROUTING_KEY = 256;

export function parsePredictBody(body: unknown, maxBatch: number): PredictBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('body: send a JSON object');
  const { row, rows, routingKey } = body as { row?: unknown; rows?: unknown; routingKey?: unknown };
  if (routingKey !== undefined && (typeof routingKey !== 'string' || routingKey.length === 0 || routingKey.length > MAX_ROUTING_KEY)) {
    return fail(`body.routingKey: a string of 1 to ${MAX_ROUTING_KEY} characters`);
  }
  if ((row === undefined) === (rows === undefined)) return fail('body: send exactly one of "row" (one feature object) or "rows" (an array of them)');
  if (row !== undefined) {
    const problem = checkRow(row, 'body.row');
    return problem ? fail(problem) : { ok: true, rows: [row as FeatureRow], routingKey };
  }
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > maxBatch) return fail(`body.rows: an array of 1 to ${maxBatch} feature objects`);
  for (let i = 0; i < rows.length; i++) {
    const problem = checkRow(rows[i], `body.rows.${i}`);
    if (problem) return fail(problem);
  }
  return { ok: true, rows: rows as FeatureRow[], routingKey };
}

function checkRow(row: unknown, where: string): string | undefined {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return `${where}: a feature object, e.g. {"distance": 740, "origin": "ORD"}`;
  for (const key in row) {
    const v = (row as Record<string, unknown>)[key];
    const t = typeof v;
    if (v !== null && t !== 'number' && t !== 'string' && t !== 'boolean') return `${where}.${key}: a number, string, boolean or null`;
  }
  return undefined;
}

const fail = (problem: string): PredictBody => ({ ok: false, problems: [problem] });
