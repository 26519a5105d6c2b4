/**
 * Model versions named the MLflow way: `models:/<name>/<version>` and `models:/<name>@<alias>`
 * resolved, versions compared by any of their names, and version tags set and removed.
 * Registered by `modelRoutes`; the grammar is src/registry/model-uri.ts.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { compareVersions } from '../../registry/compare-versions';
import type { ModelRegistry } from '../../registry/model-registry';
import { formatModelUri, parseModelUri, parseVersionRef, resolveModelRef } from '../../registry/model-uri';
import { requestOrigin } from '../request-audit';

export interface ModelVersionRoutesDeps {
  registry: ModelRegistry;
}

const MAX_COMPARED = 20;
const modelParams = z.object({ model: z.string().min(1) });
/** `3`, `v3`, `@champion` or a full `models:/` URI of the same model. */
export const versionLabel = z.string().min(1).max(300);
const tagBody = z
  .object({
    /** Tags to add or overwrite: key → value. */
    set: z.record(z.string(), z.string()).optional(),
    /** Tag keys to remove; removing an absent tag is not an error. */
    remove: z.array(z.string()).max(100).optional(),
    reason: z.string().max(2000).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b.set ?? {}).length + (b.remove?.length ?? 0) > 0, { message: 'name at least one tag to set or remove' })
  .refine((b) => Object.keys(b.set ?? {}).length <= 100, { message: 'at most 100 tags at once' });

export const modelVersionRoutes =
  ({ registry }: ModelVersionRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const read = { action: 'model.read' } as const;
    app.get(
      '/v1/model-versions',
      {
        config: read,
        schema: {
          summary: 'Resolve a models:/ URI to the version it names now',
          description: '`models:/<name>/<version>` or `models:/<name>@<alias>` (as MLflow spells them). 400 for a malformed URI, 404 when it names nothing.',
          querystring: z.object({ uri: z.string().min(1).max(300) }),
        },
      },
      async (request) => {
        const ref = parseModelUri(request.query.uri);
        const version = await resolveModelRef(registry, ref);
        return { uri: formatModelUri(ref), resolvedUri: formatModelUri({ model: version.model, version: version.version }), ...version };
      },
    );
    app.get(
      '/v1/models/:model/compare',
      {
        config: read,
        schema: {
          summary: 'Metrics of several versions side by side',
          description: 'versions: comma-separated, each 3, v3, @alias or a models:/ URI of this model.',
          params: modelParams,
          querystring: z.object({ versions: z.string().min(1).max(4000) }),
        },
      },
      async (request) => {
        const labels = request.query.versions.split(',').map((s) => s.trim());
        if (labels.length > MAX_COMPARED) tooMany(labels.length);
        const refs = labels.map((label, i) => parseVersionRef(request.params.model, label, `versions[${i}]`));
        const resolved = [];
        for (const ref of refs) resolved.push((await resolveModelRef(registry, ref)).version);
        return compareVersions(registry, request.params.model, resolved);
      },
    );
    app.post(
      '/v1/models/:model/versions/:version/tags',
      {
        config: { action: 'version.annotate', resource: (request) => ({ model: (request.params as { model: string }).model }) },
        schema: {
          summary: "Set or remove a version's tags (approver with a grant on the model, or admin)",
          description:
            'Keys: 1 to 128 letters, digits or _ . - / : starting with a letter or digit; values: up to 5,000 characters without control characters. ' +
            'The version may be 3, v3, @alias or a models:/ URI. The registry records the change and its audit entry (version.annotate) in one transaction.',
          params: modelParams.extend({ version: versionLabel }),
          body: tagBody,
        },
      },
      async (request) => {
        const { model } = request.params;
        const target = await resolveModelRef(registry, parseVersionRef(model, request.params.version));
        const updated = await registry.annotateVersion({
          model,
          version: target.version,
          setTags: request.body.set,
          removeTags: request.body.remove,
          actor: request.principal!.name,
          reason: request.body.reason,
          origin: requestOrigin(request),
        });
        request.log.info({ model, version: target.version, set: Object.keys(request.body.set ?? {}), remove: request.body.remove ?? [] }, 'version tags changed');
        return updated;
      },
    );
  };

function tooMany(n: number): never {
  throw Object.assign(new Error(`versions: ${n} named; compare at most ${MAX_COMPARED} at once`), { statusCode: 400 });
}
