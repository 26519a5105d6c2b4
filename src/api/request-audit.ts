/**
 * Audit entries for API requests: the principal as actor, the caller's address and user agent
 * as origin. Actions the registry or access control already audit in their own transaction
 * (alias moves, token and principal changes) get only the origin passed through, never a
 * second entry.
 */
import type { FastifyRequest } from 'fastify';
import type { ActionContext } from '../auth/access-control';
import type { AuditEntry, AuditEntryInput, AuditLog } from '../audit/audit-log';
import { writeAhead, type AuditedAction } from '../audit/write-ahead';

const MAX_USER_AGENT = 200;

/** `api <ip> "<user agent>"`, e.g. `api 10.0.0.7 "curl/8.5.0"`. */
export function requestOrigin(request: FastifyRequest): string {
  const agent = String(request.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT).replace(/"/g, "'");
  return agent ? `api ${request.ip} "${agent}"` : `api ${request.ip}`;
}

/** Who (by the token presented) and from where, for AccessControl changes. */
export function actionContext(request: FastifyRequest, reason?: string): ActionContext {
  return { origin: requestOrigin(request), reason };
}

/** Appends `entry` with the request's principal and origin. */
export function auditRequest(
  audit: AuditLog,
  request: FastifyRequest,
  entry: Omit<AuditEntryInput, 'actor' | 'origin'>,
): Promise<AuditEntry> {
  const principal = request.principal;
  return audit.append({
    ...entry,
    actor: principal?.name ?? 'anonymous',
    origin: requestOrigin(request),
    details: { ...(principal?.tokenId ? { tokenId: principal.tokenId } : {}), ...entry.details },
  });
}

/** Runs a Temporal call between an intent and an outcome entry of the request's principal (see audit/write-ahead.ts). */
export function auditAround<T>(
  audit: AuditLog,
  request: FastifyRequest,
  action: AuditedAction,
  call: () => Promise<T>,
  outcomeDetails?: (result: T) => Record<string, unknown>,
): Promise<T> {
  return writeAhead((entry) => auditRequest(audit, request, entry), action, call, outcomeDetails);
}
