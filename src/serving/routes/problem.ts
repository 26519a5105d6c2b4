/** The error body every route of the model server uses. */
export function problem(statusCode: number, error: string, message: string, extra: Record<string, unknown> = {}) {
  return { statusCode, error, message, ...extra };
}
