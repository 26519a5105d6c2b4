/**
 * `POST /v1/models/:name/feedback`: ground truth for a prediction the server made. Labels
 * decide canaries and continuous training, so they are taken only from authenticated label
 * sources (the `feedback` action: the labeler role with a grant on the model, or admin), only
 * for request ids this server issued, once each, and within each source's quota. A refused
 * request changes nothing: no label, no stats, the request id stays unlabelled.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Authenticator } from '../../auth/authenticator';
import { decide } from '../../auth/authorize';
import type { AuthFailureThrottle } from '../../auth/auth-throttle';
import { throttledAuthenticate } from './throttled-auth';
import type { FeedbackLedger } from '../feedback-ledger';
import { SERVER_SOURCE, type InferenceLogger } from '../inference-log/inference-logger';
import { creditServed, creditShadow } from '../feedback-credit';
import { labelRows } from '../feedback-labels';
import { taskWidth } from '../model-task';
import type { LabelQuota } from '../label-quota';
import type { LiveStats } from '../live-stats';
import type { ServingMetrics } from '../serving-metrics';
import { problem } from './problem';

export interface FeedbackRouteDeps {
  /** Turns a bearer token into a principal; absent: the route answers 503 (no label is taken unauthenticated). */
  authenticator?: Authenticator;
  /** Failed-authentication throttle shared with the admin API. @default undefined: not throttled */
  throttle?: AuthFailureThrottle;
  ledger: FeedbackLedger;
  quota: LabelQuota;
  stats: LiveStats;
  metrics: ServingMetrics;
  maxBatch: number;
  /** The per-connection-address HTTP rate limit (route config of @fastify/rate-limit). */
  rateLimit: Record<string, unknown>;
  now: () => number;
  /** The inference log: labels of logged predictions are appended to it, so `source.served` yields labelled rows. */
  log?: Pick<InferenceLogger, 'append'>;
}

const modelParams = z.object({ name: z.string().min(1).max(200) });
// The type a label must have depends on the task of the version that predicted (feedback-labels.ts), known only once the request id is looked up.
const labelValue = z.union([z.number(), z.string().max(256), z.boolean()]);

export const feedbackRoutes =
  (deps: FeedbackRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const feedbackBody = z
      .object({
        requestId: z.string().min(1).max(128),
        label: labelValue.optional(),
        labels: z.array(labelValue).min(1).max(deps.maxBatch).optional(),
      })
      .refine((b) => (b.label === undefined) !== (b.labels === undefined), 'send exactly one of "label" (0/1, a class name or a number, per the model\'s task) or "labels" (one per row of the request)');

    app.post(
      '/v1/models/:name/feedback',
      {
        schema: { params: modelParams, body: feedbackBody },
        config: deps.rateLimit,
        // After the address-keyed rate limit (onRequest), before the body is parsed: a refused source costs no parsing.
        preParsing: async (request, reply) => {
          if (!deps.authenticator) {
            return reply.status(503).send(problem(503, 'Service Unavailable', 'Feedback is disabled: the server has no registry to authenticate label sources'));
          }
          const who = await throttledAuthenticate(deps.authenticator, deps.throttle, request, reply);
          if (who.blocked) return reply;
          const { principal } = who;
          const model = (request.params as { name?: string }).name;
          const decision = decide(principal, 'feedback', { model });
          if (!decision.allowed) {
            deps.metrics.reject(decision.status === 401 ? 'unauthenticated' : 'forbidden');
            if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
            return reply
              .status(decision.status)
              .send(problem(decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', `Feedback refused: ${decision.reason}`, { action: 'feedback' }));
          }
          request.principal = principal;
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const { requestId, label, labels: batch } = request.body;
        const source = request.principal!.name;
        const record = deps.ledger.get(requestId);
        if (!record || record.model !== name) {
          return reply
            .status(404)
            .send(problem(404, 'Not Found', `No prediction "${requestId}" of "${name}" is remembered: label only request ids this server issued, within its last ${deps.ledger.capacity} requests`));
        }
        if (record.labelled) return reply.status(409).send(problem(409, 'Conflict', `Prediction "${requestId}" already has its label`));
        const labels = batch ?? [label!];
        const predicted = record.scores.length / taskWidth(record.task);
        if (labels.length !== predicted) {
          return reply.status(400).send(problem(400, 'Bad Request', `"labels" has ${labels.length} entries; request "${requestId}" predicted ${predicted} rows`));
        }
        const rows = labelRows(record.task, record.scores, labels, batch ? 'labels' : 'label');
        if (typeof rows === 'string') return reply.status(400).send(problem(400, 'Bad Request', 'The request is invalid', { problems: [rows] }));
        const now = deps.now();
        const retryAfter = deps.quota.take(source, labels.length, now);
        if (retryAfter > 0) {
          deps.metrics.reject('label_quota');
          return reply
            .status(429)
            .header('retry-after', String(retryAfter))
            .send(problem(429, 'Too Many Requests', `Label source ${source} used its quota of ${deps.quota.perMinute} labels a minute; retry in ${retryAfter} s (a request may carry at most that many)`));
        }
        // Claimed before the wait for the log, so a concurrent second label for this id gets 409.
        record.labelled = true;
        if (record.logged && deps.log) {
          try {
            // Acknowledged means fsynced: the label is in the log before the 200. It joins the logged rows by (source "server", request id, row).
            await deps.log.append(labels.map((y, i) => ({ requestId, row: i, servedAt: record.predictedAt, model: name, version: record.version, protocol: 'feedback', source: SERVER_SOURCE, label: loggedLabel(record.task.task, y) })));
          } catch (err) {
            record.labelled = false;
            deps.quota.giveBack(source, labels.length);
            request.log.error({ err }, 'label not logged');
            return reply.status(503).header('retry-after', '1').send(problem(503, 'Service Unavailable', 'The label could not be written to the inference log; nothing was recorded, retry shortly'));
          }
        }
        creditServed(deps, record, rows, now);
        // The shadow scored the same rows (shadow-mirror.ts): the label judges it on the same request.
        if (record.shadow) creditShadow(deps, record, labels, now);
        // Not scored by the shadow yet: keep the labels so the shadow is credited when it is.
        else if (record.awaitingShadow) deps.ledger.keepLabelsForShadow(requestId, record, labels, now);
        return { requestId, version: record.version, labels: labels.length };
      },
    );
  };

/** A label as the inference log keeps it: binary as 0/1 (a boolean label included), others as sent. */
function loggedLabel(task: string, y: unknown): unknown {
  return task === 'binary' ? (y === 1 || y === true ? 1 : 0) : y;
}
