/** Read access to the model registry. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModelRegistry } from '../../registry/model-registry';
import { rollbackAlias } from '../../registry/rollback';

const modelParams = z.object({ model: z.string().min(1) });

export const modelRoutes =
  (registry: ModelRegistry): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/v1/models', { schema: { summary: 'All models with their latest version and aliases' } }, async () => ({
      models: await registry.listModels(),
    }));
    app.get('/v1/models/:model', { schema: { summary: 'Versions of a model', params: modelParams } }, async (request, reply) => {
      const versions = await registry.listVersions(request.params.model);
      if (versions.length === 0) return reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `No model "${request.params.model}"` });
      const champion = await registry.getAlias(request.params.model, 'champion');
      return { model: request.params.model, champion: champion?.version ?? null, versions };
    });
    app.get(
      '/v1/models/:model/versions/:version',
      { schema: { summary: 'One model version with lineage', params: modelParams.extend({ version: z.coerce.number().int().positive() }) } },
      async (request, reply) => {
        const v = await registry.getVersion(request.params.model, request.params.version);
        if (!v) return reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `No version ${request.params.version} of "${request.params.model}"` });
        return v;
      },
    );
    app.post(
      '/v1/models/:model/rollback',
      {
        schema: {
          summary: 'Move the champion back to an earlier version',
          params: modelParams,
          body: z.object({ version: z.number().int().positive(), reason: z.string().min(1).max(2000) }).strict(),
        },
      },
      async (request) =>
        rollbackAlias(registry, {
          model: request.params.model,
          toVersion: request.body.version,
          actor: request.principal?.id ?? 'anonymous',
          reason: request.body.reason,
          origin: `http:${request.ip}`,
        }),
    );
    app.get(
      '/v1/models/:model/aliases/:alias/history',
      { schema: { summary: 'Every move of an alias', params: modelParams.extend({ alias: z.string().min(1) }) } },
      async (request) => ({ history: await registry.aliasHistory(request.params.model, request.params.alias) }),
    );
  };
