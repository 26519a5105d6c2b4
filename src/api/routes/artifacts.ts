/**
 * `GET /v1/artifacts/:sha256`: any artifact a model version owns (its model file, its
 * reports), with its media type, from whichever artifact store is configured (the bytes are
 * verified against the digest on the way out). Authorised by the model it belongs to:
 * the caller needs `model.read`, and an artifact no version owns is a 404.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import type { ArtifactStore } from '../../artifacts/artifact-store';
import { artifactUri } from '../../artifacts/artifact-uri';
import { authorize } from '../../auth/authorize';
import { findArtifactOwner } from '../../registry/artifact-lookup';
import type { ModelRegistry } from '../../registry/model-registry';
import { notFound } from '../errors';

export interface ArtifactRoutesDeps {
  registry: ModelRegistry;
  artifacts: ArtifactStore;
}

export const artifactParams = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits') });

/** Sends the artifact; shared by the API route and the console's cookie-authenticated twin. */
export async function sendArtifact(deps: ArtifactRoutesDeps, request: FastifyRequest, reply: FastifyReply, sha256: string): Promise<FastifyReply> {
  const owner = await findArtifactOwner(deps.registry, sha256);
  if (!owner) return notFound(reply, `No model version owns artifact ${sha256}`);
  authorize(request.principal, 'model.read', { model: owner.model });
  const bytes = await deps.artifacts.sizeOf(sha256);
  if (bytes === undefined) return notFound(reply, `Artifact ${sha256} of ${owner.model} v${owner.version} is missing from the artifact store`);
  const path = await deps.artifacts.localPath({ uri: artifactUri(sha256), sha256, bytes, name: owner.role, mediaType: owner.mediaType });
  // Reports are self-contained pages: let them style themselves, nothing else (no scripts, no fetches).
  reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox");
  reply.header('x-content-type-options', 'nosniff');
  reply.header('cache-control', 'private, max-age=31536000, immutable');
  reply.header('x-slipway-model', `${owner.model}/v${owner.version}`);
  return reply.type(owner.mediaType).send(createReadStream(path));
}

export const artifactRoutes =
  (deps: ArtifactRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/artifacts/:sha256',
      {
        config: { action: 'model.read' },
        schema: {
          summary: 'An artifact of a model version (model file or report), with its media type',
          description: 'Only artifacts a registered version owns (its model file or an artifact its lineage names) are served.',
          params: artifactParams,
        },
      },
      async (request, reply) => sendArtifact(deps, request, reply, request.params.sha256),
    );
  };
