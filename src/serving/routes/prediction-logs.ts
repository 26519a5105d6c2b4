/**
 * `POST /v1/models/:name/logs`: prediction logs of a model served elsewhere (KServe, Triton,
 * SageMaker, ...), stored in the same inference log as this server's own traffic so drift, live
 * quality and retraining work for it too. Accepted: KServe's payload logger (CloudEvents, binary
 * mode with `ce-*` headers or structured `application/cloudevents+json`) and NDJSON
 * (`application/x-ndjson`), see src/serving/inference-log/external-logs.ts.
 *
 * Each source authenticates with its own token (action `predictions.log`: the labeler role with a
 * grant on the model, or admin); its principal's name is the rows' `source`. A refused or invalid
 * request stores nothing. 200 means the rows are fsynced in the write-ahead segment: a crash after
 * it loses none of them.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Authenticator } from '../../auth/authenticator';
import { decide } from '../../auth/authorize';
import type { AuthFailureThrottle } from '../../auth/auth-throttle';
import { fromCloudEvent, fromNdjson, type Parsed } from '../inference-log/external-logs';
import { InferenceLogFullError, SERVER_SOURCE, type InferenceLogger } from '../inference-log/inference-logger';
import type { ServingMetrics } from '../serving-metrics';
import { problem } from './problem';
import { throttledAuthenticate } from './throttled-auth';

export interface PredictionLogRouteDeps {
  authenticator?: Authenticator;
  throttle?: AuthFailureThrottle;
  /** Absent: the route answers 503 (the server has no inference log). */
  log?: InferenceLogger;
  metrics: ServingMetrics;
  maxBatch: number;
  rateLimit: Record<string, unknown>;
  now: () => number;
}

const modelParams = z.object({ name: z.string().min(1).max(200) });
const NDJSON = ['application/x-ndjson', 'application/jsonl', 'application/ndjson'];
const STRUCTURED = 'application/cloudevents+json';

export const predictionLogRoutes =
  (deps: PredictionLogRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Kept as text here: NDJSON is parsed line by line, a structured event as one JSON document.
    app.addContentTypeParser([...NDJSON, STRUCTURED], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    app.post(
      '/v1/models/:name/logs',
      {
        schema: { params: modelParams },
        config: deps.rateLimit,
        preParsing: async (request, reply) => {
          if (!deps.authenticator || !deps.log) {
            return reply.status(503).send(problem(503, 'Service Unavailable', 'Prediction logs are disabled: start the model server with SLIPWAY_INFERENCE_LOG_DIR and a registry'));
          }
          const who = await throttledAuthenticate(deps.authenticator, deps.throttle, request, reply);
          if (who.blocked) return reply;
          const decision = decide(who.principal, 'predictions.log', { model: (request.params as { name?: string }).name });
          if (!decision.allowed) {
            deps.metrics.reject(decision.status === 401 ? 'unauthenticated' : 'forbidden');
            if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
            return reply
              .status(decision.status)
              .send(problem(decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', `Prediction log refused: ${decision.reason}`, { action: 'predictions.log' }));
          }
          // The server's own rows and labels are logged under the source `server`; a caller of that
          // name would merge its labels into them (the served source joins by request id and source).
          if (who.principal!.name === SERVER_SOURCE) {
            deps.metrics.reject('forbidden');
            return reply.status(403).send(problem(403, 'Forbidden', `Prediction log refused: the source name "${SERVER_SOURCE}" is reserved for the model server's own log`, { action: 'predictions.log' }));
          }
          request.principal = who.principal;
        },
      },
      async (request, reply) => {
        const ctx = { model: request.params.name, source: request.principal!.name, now: deps.now() };
        const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        const header = (name: string) => {
          const v = request.headers[name];
          return typeof v === 'string' ? v : undefined;
        };
        let parsed: Parsed;
        if (NDJSON.includes(type)) parsed = fromNdjson(String(request.body), ctx, deps.maxBatch);
        else if (type === STRUCTURED) parsed = structured(String(request.body), ctx, deps.maxBatch);
        else if (header('ce-type') !== undefined) parsed = fromCloudEvent({ id: header('ce-id'), type: header('ce-type'), time: header('ce-time'), data: request.body }, ctx, deps.maxBatch);
        else parsed = { ok: false, error: `content-type "${type}": send NDJSON (${NDJSON[0]}) or a CloudEvent (ce-* headers with a JSON body, or ${STRUCTURED})` };
        if (!parsed.ok) return reply.status(400).send(problem(400, 'Bad Request', `Prediction log refused, nothing stored: ${parsed.error}`));
        try {
          await deps.log!.append(parsed.records);
        } catch (err) {
          const full = err instanceof InferenceLogFullError;
          request.log.error({ err }, 'prediction log not stored');
          return reply
            .status(503)
            .header('retry-after', '1')
            .send(problem(503, 'Service Unavailable', full ? err.message : 'The inference log could not be written; retry shortly'));
        }
        return { model: ctx.model, source: ctx.source, rows: parsed.records.length };
      },
    );
  };

function structured(text: string, ctx: { model: string; source: string; now: number }, maxRows: number): Parsed {
  let event: { id?: string; type?: string; time?: string; data?: unknown };
  try {
    event = JSON.parse(text) as typeof event;
  } catch {
    return { ok: false, error: 'body: not JSON (a structured-mode CloudEvent)' };
  }
  return fromCloudEvent({ id: event.id, type: event.type, time: event.time, data: event.data }, ctx, maxRows);
}
