/**
 * The error body of the model server's own routes: RFC 9457 problem details (type, title, status,
 * detail) plus the fields earlier clients read (statusCode, error, message), as the API answers
 * (src/api/errors.ts). The Open Inference Protocol and KServe V1 routes keep their protocols'
 * `{"error": "..."}` instead (routes/open-inference.ts).
 */
export const PROBLEM_JSON = 'application/problem+json';

/** Bodies made by {@link problem}: the model server's hook answers them as problem+json. */
const problems = new WeakSet<object>();

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  statusCode: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

/** A problem body; `extra` adds members (problems, action, failures, revision, or a `type` URN). */
export function problem(statusCode: number, error: string, message: string, extra: Record<string, unknown> = {}): Problem {
  const body: Problem = { type: 'about:blank', title: error, status: statusCode, detail: message, statusCode, error, message, ...extra };
  problems.add(body);
  return body;
}

/** True for a body {@link problem} made (not for a protocol's own error shape). */
export const isProblem = (payload: unknown): boolean => typeof payload === 'object' && payload !== null && problems.has(payload);
