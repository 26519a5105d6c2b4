/**
 * The HTTP API for services in any language: runs, schedules, the model registry, the audit
 * log and access control; an OpenAPI document at /openapi.json. Every route is authenticated
 * by bearer token and authorised by role (see authorization.ts); every mutating request is
 * audited with its principal and origin.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AccessControl } from '../auth/access-control';
import type { AuditLog } from '../audit/audit-log';
import type { PipelineSchedules } from '../client/schedules';
import type { SlipwayClient } from '../client/slipway-client';
import type { TrainerRegistry } from '../training/trainer-registry';
import type { ModelRegistry } from '../registry/model-registry';
import type { AuthFailureThrottle } from '../auth/auth-throttle';
import type { Authenticator } from '../auth/authenticator';
import { installAuthorization } from './authorization';
import { INPUT_LIMITS } from '../pipeline/input-limits';
import { errorHandler } from './errors';
import { governanceRoutes } from './routes/governance';
import { modelRoutes } from './routes/models';
import { runRoutes } from './routes/runs';
import { scheduleRoutes } from './routes/schedules';
import { quarantineRoutes } from './routes/quarantine';
import type { BatchQuarantine } from '../registry/quarantine';
import type { SweepResult } from '../registry/quarantine-purge';
import { artifactRoutes } from './routes/artifacts';
import type { ArtifactStore } from '../artifacts/artifact-store';

export interface ApiDeps {
  slipway: SlipwayClient;
  /** Registered command trainers, for checking specs before a start. @default trainers/registry.yaml under the working directory */
  trainers?: TrainerRegistry;
  /** Principals allowed inline command trainers (SLIPWAY_INLINE_COMMAND_PRINCIPALS). @default [] */
  inlineCommandPrincipals?: readonly string[];
  schedules: PipelineSchedules;
  registry: ModelRegistry;
  access: AccessControl;
  audit: AuditLog;
  /** Quarantined data batches; without it the quarantine routes are not served. */
  quarantine?: BatchQuarantine;
  /** One quarantine sweep (admin-only POST /v1/quarantine/sweep); without it that route is not served. */
  quarantineSweep?: () => Promise<SweepResult>;
  /** Task queue of the worker that runs `rollback` (the configured SLIPWAY_TASK_QUEUE). */
  taskQueue: string;
  pipelinesDir: string;
  /**
   * Data roots (SLIPWAY_DATA_ROOTS): runs and schedules whose ingest source lies outside them are
   * refused with 400 before anything starts. The worker enforces them in any case (symlinks
   * included). @default undefined: left to the worker
   */
  dataRoots?: readonly string[];
  /**
   * Turns bearer tokens into principals; normally `apiAuthenticator(access, bootstrapTokens)`.
   * Absent only when the operator explicitly runs the API without authentication: every
   * request then acts as the admin `insecure:anonymous`.
   */
  authenticator?: Authenticator;
  /** Failed-authentication throttling (SLIPWAY_AUTH_MAX_FAILURES per SLIPWAY_AUTH_FAILURE_WINDOW_SECONDS). @default 10 per minute */
  authThrottle?: AuthFailureThrottle;
  logger?: Logger;
  /** The configured artifact store: serves GET /v1/artifacts/:sha256. */
  artifacts?: ArtifactStore;
  /**
   * More routes on the same server, registered after the API's own and behind the same
   * authentication and authorisation (each names its action): `api/main.ts` adds the web
   * console (`consoleRoutes`) this way. @default [] (the API alone: no chart library loaded)
   */
  routes?: readonly ((app: FastifyInstance) => Promise<void>)[];
}

/** Largest request body the API reads, in bytes. */
export const API_BODY_LIMIT = 2 * INPUT_LIMITS.maxInputBytes;

export async function buildApi(deps: ApiDeps) {
  // Room for the largest pipeline input accepted (INPUT_LIMITS.maxInputBytes) and its envelope; larger bodies get 413 unread.
  const app = Fastify({ loggerInstance: deps.logger, bodyLimit: API_BODY_LIMIT }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  installAuthorization(app, { authenticator: deps.authenticator, throttle: deps.authThrottle });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Slipway API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.get('/healthz', { config: { action: 'public' }, schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/openapi.json', { config: { action: 'public' }, schema: { hide: true } }, async () => app.swagger());
  await app.register(
    runRoutes({
      slipway: deps.slipway,
      pipelinesDir: deps.pipelinesDir,
      dataRoots: deps.dataRoots,
      audit: deps.audit,
      trainers: deps.trainers,
      inlineCommandPrincipals: deps.inlineCommandPrincipals,
    }),
  );
  await app.register(scheduleRoutes({ schedules: deps.schedules, pipelinesDir: deps.pipelinesDir, dataRoots: deps.dataRoots, audit: deps.audit }));
  await app.register(modelRoutes({ registry: deps.registry, audit: deps.audit, temporal: deps.slipway.temporal, taskQueue: deps.taskQueue, signingKey: deps.slipway.signingKey, store: deps.artifacts }));
  await app.register(governanceRoutes({ access: deps.access, audit: deps.audit }));
  if (deps.quarantine) await app.register(quarantineRoutes({ quarantine: deps.quarantine, sweep: deps.quarantineSweep }));
  if (deps.artifacts) await app.register(artifactRoutes({ registry: deps.registry, artifacts: deps.artifacts }));
  for (const routes of deps.routes ?? []) await app.register(routes);
  return app;
}
