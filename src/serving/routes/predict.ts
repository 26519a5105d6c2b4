/** `POST /v1/models/:name/predict`: the data plane's hot path (feedback is in feedback.ts). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Authenticator } from '../../auth/authenticator';
import { decide } from '../../auth/authorize';
import type { AuthFailureThrottle } from '../../auth/auth-throttle';
import { throttledAuthenticate } from './throttled-auth';
import type { InferenceService } from '../inference';
import { parsePredictBody } from '../predict-body';
import type { ServingMetrics } from '../serving-metrics';
import { problem } from './problem';
import { taskPredictions } from '../task-predictions';

export { problem } from './problem';

export interface PredictRouteDeps {
  inference: InferenceService;
  metrics: ServingMetrics;
  maxBatch: number;
  /** Route config of the per-connection-address rate limit. */
  rateLimit: Record<string, unknown>;
  /**
   * When set, predictions need a token allowed `predict` (any role but labeler). Off by default:
   * predictions change nothing but request stats, and labels, which do decide, are authenticated.
   */
  predictAuthenticator?: Authenticator;
  /** Failed-authentication throttle shared with the admin API (with predictAuthenticator). @default undefined: not throttled */
  throttle?: AuthFailureThrottle;
}

const STATUS_TITLES = { 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' } as const;

/** Header that pins a caller to one version while the weights stay. */
export const ROUTING_KEY_HEADER = 'x-routing-key';

export const predictRoutes =
  (deps: PredictRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const auth = deps.predictAuthenticator;
    const preParsing = auth
      ? async (request: FastifyRequest, reply: FastifyReply) => {
          const who = await throttledAuthenticate(auth, deps.throttle, request, reply);
          if (who.blocked) return reply;
          const { principal } = who;
          const decision = decide(principal, 'predict', { model: (request.params as { name?: string }).name });
          if (decision.allowed) return;
          deps.metrics.reject(decision.status === 401 ? 'unauthenticated' : 'forbidden');
          if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
          return reply.status(decision.status).send(problem(decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', `Prediction refused: ${decision.reason}`, { action: 'predict' }));
        }
      : undefined;

    // No zod schema here: this is the hot path, and parsePredictBody checks the body for a fraction of the cost.
    app.post('/v1/models/:name/predict', { config: deps.rateLimit, ...(preParsing ? { preParsing } : {}) }, async (request, reply) => {
      const { name } = request.params as { name: string };
      const body = parsePredictBody(request.body, deps.maxBatch);
      if (!body.ok) return reply.status(400).send(problem(400, 'Bad Request', 'The request is invalid', { problems: body.problems }));
      const header = request.headers[ROUTING_KEY_HEADER];
      const routingKey = body.routingKey ?? (typeof header === 'string' ? header : undefined);
      const served = await deps.inference.infer({ model: name, rows: body.rows, routingKey }, request.log);
      if (!served.ok) {
        if (served.status === 503) reply.header('retry-after', '1');
        return reply.status(served.status).send(problem(served.status, STATUS_TITLES[served.status], served.message));
      }
      const { scores } = served;
      if (served.task.task !== 'binary') return { requestId: served.requestId, version: served.version, predictions: taskPredictions(served.task, scores) };
      const predictions = new Array<{ score: number; label: 0 | 1 }>(scores.length);
      for (let i = 0; i < scores.length; i++) predictions[i] = { score: scores[i], label: scores[i] >= 0.5 ? 1 : 0 };
      return { requestId: served.requestId, version: served.version, predictions };
    });
  };

/**
 * The rate-limit key: the connection's address (`request.ip`, which honours the server's
 * `trustProxy` setting), never a header the caller writes itself. It runs before any token is
 * looked up, so floods of bad tokens are limited too; labels are limited per authenticated
 * source on top (label-quota.ts).
 */
export function clientKey(request: FastifyRequest): string {
  return request.ip;
}

/** @fastify/rate-limit route config: `perSecond` requests a second per connection address; 0 disables. */
export function rateLimitConfig(perSecond: number, onExceeded: () => void) {
  return { rateLimit: perSecond > 0 ? { max: perSecond, timeWindow: 1000, keyGenerator: clientKey, onExceeded } : (false as const) };
}
