/** Maps Slipway, zod and Temporal errors to HTTP answers with the problems spelled out. */
import {
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isInvalidPipelineInput, isSlipwayError } from '../errors';
import { isRegistryError } from '../registry/registry-error';

export interface ApiError {
  statusCode: number;
  error: string;
  message: string;
  problems?: string[];
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const send = (statusCode: number, error: string, message: string, problems?: string[]) =>
    reply.status(statusCode).send({ statusCode, error, message, ...(problems ? { problems } : {}) } satisfies ApiError);

  if (hasZodFastifySchemaValidationErrors(err)) {
    const problems = err.validation.map((v) => `${err.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}: ${v.message}`);
    return send(400, 'Bad Request', 'The request is invalid', problems);
  }
  if (isInvalidPipelineInput(err)) return send(400, 'Bad Request', 'The pipeline input is invalid', err.problems);
  if (err instanceof WorkflowNotFoundError) return send(404, 'Not Found', `No run with id "${err.workflowId}"`);
  if (err instanceof ScheduleNotFoundError) return send(404, 'Not Found', err.message);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return send(409, 'Conflict', err.message);
  // An update validator refused the request (e.g. nothing waits for approval): the run's state conflicts.
  if (err instanceof WorkflowUpdateFailedError) return send(409, 'Conflict', err.cause?.message ?? err.message);
  if (isRegistryError(err, 'unknown-model') || isRegistryError(err, 'unknown-version')) return send(404, 'Not Found', err.message);
  if (isRegistryError(err, 'stale-alias')) return send(409, 'Conflict', err.message);
  if (isSlipwayError(err) && !err.retryable) return send(400, err.name, err.message);
  if (err.statusCode && err.statusCode < 500) return send(err.statusCode, err.name, err.message);
  request.log.error({ err }, 'request failed');
  return send(500, 'Internal Server Error', 'The request failed; see the server log');
}
