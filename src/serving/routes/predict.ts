/** `POST /v1/models/:name/predict` and `POST /v1/models/:name/feedback`: the data plane. */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Admission } from '../admission';
import type { DeploymentManager } from '../deployment-manager';
import type { FeedbackLedger } from '../feedback-ledger';
import type { LiveStats } from '../live-stats';
import { parsePredictBody } from '../predict-body';
import type { ServingMetrics } from '../serving-metrics';

export interface PredictRouteDeps {
  deployments: DeploymentManager;
  admission: Admission;
  ledger: FeedbackLedger;
  stats: LiveStats;
  metrics: ServingMetrics;
  maxBatch: number;
  /** Requests per second per client; 0 disables the limit. */
  rateLimitPerSecond: number;
  now: () => number;
}

/** Header that pins a caller to one version while the weights stay. */
export const ROUTING_KEY_HEADER = 'x-routing-key';
/** Header naming the client for rate limiting; the peer address otherwise. */
export const CLIENT_ID_HEADER = 'x-client-id';

const modelParams = z.object({ name: z.string().min(1).max(200) });
const labelValue = z.union([z.literal(0), z.literal(1), z.boolean()]).transform((v) => (v === true || v === 1 ? 1 : 0) as 0 | 1);

export const predictRoutes =
  (deps: PredictRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const feedbackBody = z
      .object({
        requestId: z.string().min(1).max(128),
        label: labelValue.optional(),
        labels: z.array(labelValue).min(1).max(deps.maxBatch).optional(),
      })
      .refine((b) => (b.label === undefined) !== (b.labels === undefined), 'send exactly one of "label" (0/1) or "labels" (one per row of the request)');
    const rateLimit = {
      rateLimit:
        deps.rateLimitPerSecond > 0
          ? { max: deps.rateLimitPerSecond, timeWindow: 1000, keyGenerator: clientKey, onExceeded: () => deps.metrics.reject('rate_limited') }
          : (false as const),
    };

    // No zod schema here: this is the hot path, and parsePredictBody checks the body for a fraction of the cost.
    app.post('/v1/models/:name/predict', { config: rateLimit }, async (request, reply) => {
      const started = performance.now();
      const { name } = request.params as { name: string };
      const body = parsePredictBody(request.body, deps.maxBatch);
      if (!body.ok) return reply.status(400).send(problem(400, 'Bad Request', 'The request is invalid', { problems: body.problems }));
      const rows = body.rows;
      const header = request.headers[ROUTING_KEY_HEADER];
      const routingKey = body.routingKey ?? (typeof header === 'string' ? header : undefined);

      if (!deps.admission.tryEnter() && !(await deps.admission.wait())) {
        deps.metrics.reject('overloaded');
        return reply.status(503).header('retry-after', '1').send(problem(503, 'Service Unavailable', 'The model server is at its concurrency limit; retry shortly'));
      }
      let model;
      try {
        // Routing and the lease happen together, synchronously, after admission: a switch
        // between them cannot release the chosen session.
        model = deps.deployments.acquire(name, routingKey);
        if (model === 'not-deployed') {
          return reply.status(404).send(problem(404, 'Not Found', `Model "${name}" is not deployed on this server; PUT /admin/v1/models/${name}/deployment first`));
        }
        if (model === 'unavailable') {
          deps.metrics.reject('unavailable');
          return reply.status(503).send(problem(503, 'Service Unavailable', `No version of "${name}" could be loaded; see GET /readyz`));
        }
        const series = deps.metrics.forVersion(name, model.version);
        try {
          const scores = await model.predict(rows);
          const latencyMs = performance.now() - started;
          const at = deps.now();
          const requestId = randomUUID();
          deps.ledger.remember(requestId, { model: name, version: model.version, scores, predictedAt: at, labelled: false });
          deps.stats.recordRequest(name, model.version, at, latencyMs, scores, false);
          series.ok.inc();
          series.latency.observe(latencyMs / 1000);
          const predictions = new Array<{ score: number; label: 0 | 1 }>(scores.length);
          for (let i = 0; i < scores.length; i++) {
            series.scores.observe(scores[i]);
            predictions[i] = { score: scores[i], label: scores[i] >= 0.5 ? 1 : 0 };
          }
          return { requestId, version: model.version, predictions };
        } catch (err) {
          const latencyMs = performance.now() - started;
          deps.stats.recordRequest(name, model.version, deps.now(), latencyMs, [], true);
          series.error.inc();
          series.latency.observe(latencyMs / 1000);
          request.log.error({ err, model: name, version: model.version }, 'prediction failed');
          return reply.status(500).send(problem(500, 'Internal Server Error', `version ${model.version} of "${name}" failed to predict: ${(err as Error).message}`));
        } finally {
          model.releaseLease();
        }
      } finally {
        deps.admission.leave();
      }
    });

    app.post('/v1/models/:name/feedback', { schema: { params: modelParams, body: feedbackBody }, config: rateLimit }, async (request, reply) => {
      const { name } = request.params;
      const { requestId, label, labels: batch } = request.body;
      const record = deps.ledger.get(requestId);
      if (!record || record.model !== name) {
        return reply
          .status(404)
          .send(problem(404, 'Not Found', `No prediction "${requestId}" of "${name}" is remembered (unknown, or older than the last ${deps.ledger.capacity} requests)`));
      }
      if (record.labelled) return reply.status(409).send(problem(409, 'Conflict', `Prediction "${requestId}" already has its label`));
      const labels = batch ?? [label!];
      if (labels.length !== record.scores.length) {
        return reply.status(400).send(problem(400, 'Bad Request', `"labels" has ${labels.length} entries; request "${requestId}" predicted ${record.scores.length} rows`));
      }
      record.labelled = true;
      labels.forEach((y, i) => deps.stats.recordLabel(name, record.version, record.predictedAt, record.scores[i], y));
      deps.metrics.forVersion(name, record.version).feedback.inc(labels.length);
      return { requestId, version: record.version, labels: labels.length };
    });
  };

function clientKey(request: FastifyRequest): string {
  const id = request.headers[CLIENT_ID_HEADER];
  return typeof id === 'string' && id !== '' ? `id:${id}` : `ip:${request.ip}`;
}

/** The error body every route of the model server uses. */
export function problem(statusCode: number, error: string, message: string, extra: Record<string, unknown> = {}) {
  return { statusCode, error, message, ...extra };
}
