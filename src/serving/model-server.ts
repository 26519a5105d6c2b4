/**
 * The model server: a Fastify app serving ONNX model versions with weighted (canary)
 * traffic splits, feedback-based live quality, Prometheus metrics and an admin API.
 * See ARCHITECTURE.md in this folder for how a switch avoids dropping requests.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import pino, { type Logger } from 'pino';
import type { Authenticator, Principal } from '../auth/authenticator';
import type { AuditLog } from '../audit/audit-log';
import { AuthFailureThrottle } from '../auth/auth-throttle';
import { decide } from '../auth/authorize';
import { Admission } from './admission';
import { DeploymentManager } from './deployment-manager';
import type { DeploymentStore } from './deployment-store';
import { FeedbackLedger } from './feedback-ledger';
import { InferenceService } from './inference';
import { InferenceLogger, type InferenceLoggerOptions } from './inference-log/inference-logger';
import { LabelQuota } from './label-quota';
import { lazyRequestLogger } from './lazy-request-logger';
import { LiveStats } from './live-stats';
import type { ModelLoader } from './model-loader';
import { adminRoutes } from './routes/admin';
import { feedbackRoutes } from './routes/feedback';
import { healthRoutes } from './routes/health';
import { openInferenceRoutes } from './routes/open-inference';
import { predictRoutes, rateLimitConfig } from './routes/predict';
import { predictionLogRoutes } from './routes/prediction-logs';
import { isProblem, problem, PROBLEM_JSON } from './routes/problem';
import { servingOpenApiOptions } from './openapi';
import { ServingMetrics } from './serving-metrics';
import { ShadowMirror } from './shadow-mirror';
import { version as serverVersion } from '../../package.json';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Limits of the model server; every one has a default. */
export interface ServingLimits {
  /** Predictions running at once. @default 64 */
  maxConcurrency: number;
  /** Predictions waiting for a slot; beyond it 503 at once. @default 1024 */
  maxQueue: number;
  /** Longest wait for a slot before 503. @default 1000 */
  maxQueueWaitMs: number;
  /** Requests per second per connection address on /v1 routes; 0 disables. @default 5000 */
  rateLimitPerSecond: number;
  /** Rows per predict request. @default 1000 */
  maxBatch: number;
  /** Request ids remembered for feedback. @default 200000 */
  feedbackCapacity: number;
  /** Bytes the remembered predictions may retain (oldest forgotten first). @default 128 MiB (≈ 160,000 single-row predictions) */
  feedbackMaxBytes: number;
  /** Labels one source may post a minute; 0 disables the quota. @default 120000 */
  labelQuotaPerMinute: number;
  /** Labelled predictions kept per version. @default 20000 */
  labelWindow: number;
  /** Seconds of per-version stats kept. @default 3600 */
  statsRetentionSeconds: number;
  /** Bytes all versions' stats may take (worst case); the least recently active version goes first. @default 256 MiB */
  statsMaxBytes: number;
  /** Largest request body. @default 1 MiB */
  bodyLimitBytes: number;
  /** Mirrored requests a shadow version may have queued or in scoring; beyond it they are dropped (counted). @default 1024 */
  shadowMaxPending: number;
}

export const DEFAULT_LIMITS: Readonly<ServingLimits> = Object.freeze({
  maxConcurrency: 64,
  maxQueue: 1024,
  maxQueueWaitMs: 1000,
  rateLimitPerSecond: 5000,
  maxBatch: 1000,
  feedbackCapacity: 200_000,
  feedbackMaxBytes: 128 << 20,
  labelQuotaPerMinute: 120_000,
  labelWindow: 20_000,
  statsRetentionSeconds: 3600,
  statsMaxBytes: 256 << 20,
  bodyLimitBytes: 1 << 20,
  shadowMaxPending: 1024,
});

export interface ModelServerDeps {
  loader: ModelLoader;
  store: DeploymentStore;
  /**
   * Guards /admin routes: reads need any role, deployment changes `deployment.change` (approver with a
   * grant on the model's champion, or admin). Absent: the admin API answers 503 (the server still serves
   * its persisted deployments).
   */
  adminAuthenticator?: Authenticator;
  /**
   * Where admin changes (deployment set/remove) are recorded with actor, target, reason and
   * origin. Absent: changes are logged only (tests of other concerns).
   */
  audit?: AuditLog;
  /**
   * Require a token for predictions too (action `predict`, any role but labeler), checked with
   * `adminAuthenticator`. @default false: labels are always authenticated, predictions not.
   */
  predictAuth?: boolean;
  /**
   * Fastify's `trustProxy`: whose `X-Forwarded-For` to believe for the client address that
   * rate limits key on. @default false (the TCP peer address)
   */
  trustProxy?: boolean | string | string[];
  /** Failed-authentication throttling per client address: admin API, labels and authenticated predictions. @default 10 per minute */
  authThrottle?: AuthFailureThrottle;
  logger?: Logger;
  limits?: Partial<ServingLimits>;
  /** Epoch-millisecond clock of the stats. @default Date.now */
  now?: () => number;
  /** Collect Node process metrics too. @default true */
  processMetrics?: boolean;
  /**
   * Log a sampled share of predictions as Parquet windows (src/serving/inference-log). Absent: no
   * inference log, and the prediction-log ingestion route answers 503.
   */
  inferenceLog?: Omit<InferenceLoggerOptions, 'registry' | 'logger' | 'now'>;
}

/**
 * Builds the server and restores the persisted deployments (so it answers with the same
 * split as before a restart as soon as it listens). The caller listens and closes.
 */
export async function buildModelServer(deps: ModelServerDeps) {
  const limits: ServingLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const logger = deps.logger ?? pino({ level: 'silent' });
  const now = deps.now ?? Date.now;
  // Tells the canary analysis whether one process served a whole step (stats live in memory).
  const startedAt = new Date(now()).toISOString();
  const stats = new LiveStats({ retentionSeconds: limits.statsRetentionSeconds, labelWindow: limits.labelWindow, maxBytes: limits.statsMaxBytes });
  const ledger = new FeedbackLedger(limits.feedbackCapacity, limits.feedbackMaxBytes);
  const metrics = new ServingMetrics(stats, { defaultMetrics: deps.processMetrics });
  const inferenceLog = deps.inferenceLog
    ? new InferenceLogger({ ...deps.inferenceLog, registry: metrics.registry, logger: logger.child({ component: 'inference-log' }), now })
    : undefined;
  // Segments a killed process left hold acknowledged rows: they become windows before anything new is logged.
  await inferenceLog?.start();
  const deployments = new DeploymentManager({
    loader: deps.loader,
    store: deps.store,
    logger: logger.child({ component: 'deployments' }),
    onLoadFailure: (f) => metrics.loadFailed(f),
    onChange: (model, view) => {
      metrics.deploymentChanged(model, view);
      stats.prune(model, new Set(view?.versions.map((v) => v.version)), now());
      // A canary is judged on all of its traffic: log every request while two versions serve.
      inferenceLog?.setCanary(model, (view?.versions.filter((v) => v.share > 0).length ?? 0) > 1);
    },
  });
  await deployments.restore();

  // Request logging is off: at thousands of predictions a second it would cost more than inference.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // The request's child logger is made only if the request logs (lazy-request-logger.ts).
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: limits.bodyLimitBytes,
    return503OnClosing: true,
    trustProxy: deps.trustProxy ?? false,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(servingErrorHandler);
  app.setNotFoundHandler((request, reply) => reply.status(404).send(problem(404, 'Not Found', `No route ${request.method} ${request.url.split('?')[0]}; see GET /openapi.json`)));
  // Every route, as registered (the OpenAPI test checks each one is documented).
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  // Problem bodies (routes/problem.ts) answer as problem+json; one comparison on a successful answer.
  app.addHook('preSerialization', (_request, reply, payload, done) => {
    if (reply.statusCode >= 400 && isProblem(payload)) reply.type(PROBLEM_JSON);
    done(null, payload);
  });
  await app.register(swagger, servingOpenApiOptions(serverVersion));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(rateLimit, { global: false, addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false } });

  const rateLimited = rateLimitConfig(limits.rateLimitPerSecond, () => metrics.reject('rate_limited'));
  // One throttle for every route that checks a token: admin, labels and (with predictAuth) predictions.
  const throttle = deps.authThrottle ?? new AuthFailureThrottle();
  const shadow = new ShadowMirror({ stats, ledger, metrics, maxPending: limits.shadowMaxPending });
  const inference = new InferenceService({
    deployments,
    shadow,
    admission: new Admission({ maxConcurrent: limits.maxConcurrency, maxQueue: limits.maxQueue, maxWaitMs: limits.maxQueueWaitMs }),
    ledger,
    stats,
    metrics,
    now,
    log: inferenceLog,
  });
  await app.register(healthRoutes({ deployments, metrics }));
  const predictAuthenticator = deps.predictAuth ? (deps.adminAuthenticator ?? { authenticate: async () => undefined }) : undefined;
  await app.register(predictRoutes({ inference, metrics, maxBatch: limits.maxBatch, rateLimit: rateLimited, predictAuthenticator, throttle }));
  // Open Inference Protocol (/v2) and KServe V1 (:predict) on the same inference path and limits.
  const protocol = { inference, deployments, metrics, maxBatch: limits.maxBatch, rateLimit: rateLimited, predictAuthenticator, throttle, serverVersion };
  await app.register(openInferenceRoutes(protocol));
  await app.register(
    feedbackRoutes({
      authenticator: deps.adminAuthenticator,
      throttle,
      ledger,
      quota: new LabelQuota(limits.labelQuotaPerMinute),
      log: inferenceLog,
      stats,
      metrics,
      maxBatch: limits.maxBatch,
      rateLimit: rateLimited,
      now,
    }),
  );
  await app.register(
    predictionLogRoutes({ authenticator: deps.adminAuthenticator, throttle, log: inferenceLog, metrics, maxBatch: limits.maxBatch, rateLimit: rateLimited, now }),
  );
  await app.register(async (admin) => {
    admin.addHook('onRequest', async (request, reply) => {
      if (!deps.adminAuthenticator) {
        return reply.status(503).send(problem(503, 'Service Unavailable', 'The admin API is disabled: start the server with SLIPWAY_SERVE_ADMIN_TOKEN set'));
      }
      const retryAfter = throttle.blockedFor(request.ip);
      if (retryAfter !== undefined) {
        return reply
          .status(429)
          .header('retry-after', String(retryAfter))
          .send(problem(429, 'Too Many Requests', `Too many failed authentications from this address; try again in ${retryAfter} s`));
      }
      const token = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      const principal = token ? await deps.adminAuthenticator.authenticate(token) : undefined;
      if (token && !principal) throttle.recordFailure(request.ip);
      // Reads need any role; changing a model's split is granted like moving its champion alias.
      const model = (request.params as { name?: string } | undefined)?.name;
      const decision = decide(principal, request.method === 'GET' ? 'model.read' : 'deployment.change', { model, alias: 'champion' });
      if (!decision.allowed) {
        const reply401 = decision.status === 401 ? reply.header('www-authenticate', 'Bearer') : reply;
        return reply401
          .status(decision.status)
          .send(problem(decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', decision.status === 403 ? decision.reason : token ? 'Unknown bearer token' : 'Missing "Authorization: Bearer <token>" header'));
      }
      request.principal = principal;
    });
    await admin.register(adminRoutes({ deployments, stats, statsRetentionSeconds: limits.statsRetentionSeconds, now, startedAt, audit: deps.audit, logger, shadowCounts: (m) => shadow.countsOf(m) }));
  });

  app.addHook('onClose', async () => {
    await deployments.close();
    // After the last request: everything served is written and sealed into a window.
    await inferenceLog?.close();
  });
  // `protocol` is what another front door (the gRPC server, grpc/oip-grpc.ts) needs to serve on the same path.
  return { app, deployments, inference, stats, ledger, metrics, limits, startedAt, protocol, routes, inferenceLog, shadow };
}

export type ModelServer = Awaited<ReturnType<typeof buildModelServer>>;

function servingErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const problems = err.validation.map((v) => `${err.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}: ${v.message}`);
    return reply.status(400).send(problem(400, 'Bad Request', 'The request is invalid', { problems }));
  }
  const status = err.statusCode ?? 500;
  if (status < 500) return reply.status(status).send(problem(status, err.name === 'Error' ? httpError(status) : err.name, err.message));
  request.log.error({ err }, 'request failed');
  return reply.status(500).send(problem(500, 'Internal Server Error', 'The request failed; see the server log'));
}

function httpError(status: number): string {
  return status === 429 ? 'Too Many Requests' : status === 413 ? 'Payload Too Large' : 'Bad Request';
}
