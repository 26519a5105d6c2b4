/**
 * Maps Slipway, zod and Temporal errors to HTTP answers with the problems spelled out.
 * Bodies are RFC 9457 problem details (`application/problem+json`: type, title, status, detail)
 * that also keep the fields earlier clients read (statusCode, error, message, problems).
 */
import {
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AccessControlError, ModelContractError, isAuthenticationError, isInvalidPipelineInput, isPermissionDeniedError, isSlipwayError } from '../errors';
import { isRegistryError } from '../registry/registry-error';

export interface ApiError {
  /** `about:blank` or a Slipway error code URN, e.g. `urn:slipway:error:PermissionDenied`. */
  type: string;
  title: string;
  status: number;
  detail: string;
  statusCode: number;
  error: string;
  message: string;
  problems?: string[];
  /** 401/403: the action refused and the role it needs. */
  action?: string;
  requiredRole?: string;
}

const ACCESS_STATUS: Record<string, number> = { 'invalid-input': 400, 'unknown-principal': 404, 'unknown-token': 404, conflict: 409 };

/** Sends a problem+json answer. */
export function sendProblem(reply: FastifyReply, statusCode: number, error: string, message: string, extra: Partial<ApiError> = {}): FastifyReply {
  const body: ApiError = { type: 'about:blank', title: error, status: statusCode, detail: message, statusCode, error, message, ...extra };
  return reply.status(statusCode).type('application/problem+json').send(body);
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const send = (statusCode: number, error: string, message: string, problems?: string[]) =>
    sendProblem(reply, statusCode, error, message, problems ? { problems } : {});

  if (isAuthenticationError(err) || isPermissionDeniedError(err)) {
    if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer');
    const { action, requiredRole } = err.details as { action?: string; requiredRole?: string };
    return sendProblem(reply, err.statusCode, err.statusCode === 401 ? 'Unauthorized' : 'Forbidden', err.message, {
      type: `urn:slipway:error:${err.name}`,
      action,
      requiredRole,
    });
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const problems = err.validation.map((v) => `${err.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}: ${v.message}`);
    return send(400, 'Bad Request', 'The request is invalid', problems);
  }
  if (isInvalidPipelineInput(err)) return send(400, 'Bad Request', 'The pipeline input is invalid', err.problems);
  if (err instanceof ModelContractError) return send(400, err.name, err.message, err.problems);
  if (err instanceof WorkflowNotFoundError) return send(404, 'Not Found', `No run with id "${err.workflowId}"`);
  if (err instanceof ScheduleNotFoundError) return send(404, 'Not Found', err.message);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return send(409, 'Conflict', err.message);
  // An update validator refused the request (e.g. nothing waits for approval): the run's state conflicts.
  if (err instanceof WorkflowUpdateFailedError) return send(409, 'Conflict', err.cause?.message ?? err.message);
  if (isRegistryError(err, 'unknown-model') || isRegistryError(err, 'unknown-version') || isRegistryError(err, 'unknown-alias')) return send(404, 'Not Found', err.message);
  if (isRegistryError(err, 'stale-alias') || isRegistryError(err, 'batch-decided')) return send(409, 'Conflict', err.message);
  if (isRegistryError(err, 'unknown-batch')) return send(404, 'Not Found', err.message);
  if (err instanceof AccessControlError) return send(ACCESS_STATUS[String(err.details.kind)] ?? 400, err.name, err.message);
  if (isSlipwayError(err) && !err.retryable) return send(400, err.name, err.message);
  if (err.statusCode && err.statusCode < 500) return send(err.statusCode, err.name, err.message);
  request.log.error({ err }, 'request failed');
  return send(500, 'Internal Server Error', 'The request failed; see the server log');
}

/** 404 for something the route looked up itself. */
export const notFound = (reply: FastifyReply, message: string): FastifyReply => sendProblem(reply, 404, 'Not Found', message);
