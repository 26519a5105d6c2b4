/**
 * The HTTP API for services in any language: start/status/list/cancel runs, schedules,
 * registry reads; an OpenAPI document at /openapi.json; bearer-token authentication.
 */
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { PipelineSchedules } from '../client/schedules';
import type { SlipwayClient } from '../client/slipway-client';
import type { ModelRegistry } from '../registry/model-registry';
import type { Authenticator, Principal } from './authenticator';
import { errorHandler } from './errors';
import { modelRoutes } from './routes/models';
import { runRoutes } from './routes/runs';
import { scheduleRoutes } from './routes/schedules';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface ApiDeps {
  slipway: SlipwayClient;
  schedules: PipelineSchedules;
  registry: ModelRegistry;
  pipelinesDir: string;
  /** Absent only when the operator explicitly runs the API without authentication. */
  authenticator?: Authenticator;
  logger?: Logger;
}

const PUBLIC_PATHS = new Set(['/healthz', '/openapi.json']);

export async function buildApi(deps: ApiDeps) {
  const app = Fastify({ loggerInstance: deps.logger }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Slipway API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!deps.authenticator || PUBLIC_PATHS.has(request.url.split('?')[0])) return;
    const header = request.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const principal = token ? await deps.authenticator.authenticate(token) : undefined;
    if (!principal) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({ statusCode: 401, error: 'Unauthorized', message: token ? 'Unknown bearer token' : 'Missing "Authorization: Bearer <token>" header' });
    }
    request.principal = principal;
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(runRoutes({ slipway: deps.slipway, pipelinesDir: deps.pipelinesDir }));
  await app.register(scheduleRoutes({ schedules: deps.schedules, pipelinesDir: deps.pipelinesDir }));
  await app.register(modelRoutes(deps.registry));
  return app;
}
