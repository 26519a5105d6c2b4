/** The model registry: reads, lineage, and rollback through the `rollback` workflow. */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log';
import { versionLineage } from '../../registry/lineage';
import type { ModelRegistry } from '../../registry/model-registry';
import { parseVersionRef, resolveModelRef } from '../../registry/model-uri';
import { notFound } from '../errors';
import { auditAround } from '../request-audit';
import { rollbackWorkflowId, startRollback } from '../run-rollback';
import type { ArtifactStore } from '../../artifacts/artifact-store';
import { modelImportRoutes } from './model-import';
import { modelVersionRoutes, versionLabel } from './model-versions';

export interface ModelRoutesDeps {
  registry: ModelRegistry;
  audit: AuditLog;
  temporal: Client;
  /** Task queue of the worker that runs `rollback`. */
  taskQueue: string;
  /** SLIPWAY_RUN_SIGNING_KEY: rollbacks carry a decision token the worker verifies. */
  signingKey?: string;
  /** Where imported models are stored; without it POST /v1/models/:model/import is not served. */
  store?: ArtifactStore;
}

const modelParams = z.object({ model: z.string().min(1) });
/** A version as 3, v3, @alias or a models:/ URI of the same model (src/registry/model-uri.ts). */
const versionParams = modelParams.extend({ version: versionLabel });

export const modelRoutes =
  ({ registry, audit, temporal, taskQueue, signingKey, store }: ModelRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const read = { action: 'model.read' } as const;
    await app.register(modelVersionRoutes({ registry }));
    if (store) await app.register(modelImportRoutes({ registry, store }));
    app.get('/v1/models', { config: read, schema: { summary: 'All models with their latest version and aliases' } }, async () => ({
      models: await registry.listModels(),
    }));
    app.get('/v1/models/:model', { config: read, schema: { summary: 'Versions of a model', params: modelParams } }, async (request, reply) => {
      const versions = await registry.listVersions(request.params.model);
      if (versions.length === 0) return notFound(reply, `No model "${request.params.model}"`);
      const champion = await registry.getAlias(request.params.model, 'champion');
      return { model: request.params.model, champion: champion?.version ?? null, versions };
    });
    app.get(
      '/v1/models/:model/versions/:version',
      { config: read, schema: { summary: 'One model version with lineage', description: 'The version may be 3, v3, @alias or a models:/ URI of this model.', params: versionParams } },
      async (request) => resolveModelRef(registry, parseVersionRef(request.params.model, request.params.version)),
    );
    app.get(
      '/v1/models/:model/versions/:version/lineage',
      {
        config: read,
        schema: {
          summary: 'Lineage of a version',
          description: 'Data snapshot digest → validation report → training run → evaluation report → alias moves (deployments).',
          params: versionParams,
        },
      },
      async (request, reply) => {
        const { version } = await resolveModelRef(registry, parseVersionRef(request.params.model, request.params.version));
        const lineage = await versionLineage(registry, request.params.model, version);
        if (!lineage) return notFound(reply, `No version ${request.params.version} of "${request.params.model}"`);
        return lineage;
      },
    );
    app.post(
      '/v1/models/:model/rollback',
      {
        config: { action: 'model.rollback', resource: (request) => ({ model: (request.params as { model: string }).model, alias: 'champion' }) },
        schema: {
          summary: 'Move the champion back to an earlier version (approver with a grant on the model)',
          params: modelParams,
          description:
            'Runs the `rollback` workflow and waits for it: the registry move (audited as model.rollback) and the model server switch. ' +
            'version: a number, or "v3", "@alias" or a models:/ URI of this model, resolved when the request arrives.',
          body: z.object({ version: z.union([z.number().int().positive(), versionLabel]), reason: z.string().min(1).max(2000) }).strict(),
        },
      },
      async (request) => {
        const { model } = request.params;
        const asked = request.body.version;
        const version = typeof asked === 'number' ? asked : (await resolveModelRef(registry, parseVersionRef(model, asked))).version;
        const workflowId = rollbackWorkflowId(model);
        // The move itself is audited by the registry, with origin temporal:<workflowId>/<runId>; these
        // entries tie that workflow to the request's address and user agent.
        const started = await auditAround(
          audit,
          request,
          { action: 'run.start', target: `run:${workflowId}`, reason: request.body.reason, details: { workflowType: 'rollback', model, version, ...(typeof asked === 'number' ? {} : { asked }) } },
          () =>
            startRollback(
              temporal,
              taskQueue,
              { model, version, reason: request.body.reason, actor: request.principal!.name },
              { key: signingKey, principal: request.principal! },
              workflowId,
            ),
          (run) => ({ runId: run.runId }),
        );
        const result = await started.result;
        request.log.info({ model, from: result.move.fromVersion, to: result.move.toVersion, workflowId: started.workflowId }, 'rolled back');
        return { ...result.move, workflowId: started.workflowId, serving: result.serving };
      },
    );
    app.get(
      '/v1/models/:model/aliases/:alias/history',
      { config: read, schema: { summary: 'Every move of an alias', params: modelParams.extend({ alias: z.string().min(1) }) } },
      async (request) => ({ history: await registry.aliasHistory(request.params.model, request.params.alias) }),
    );
  };
