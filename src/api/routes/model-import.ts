/**
 * `POST /v1/models/:model/import`: registers an ONNX model trained elsewhere. The body is the
 * model's bytes (`application/octet-stream`); the query declares its contract (task, features,
 * classes). Needs `model.import`: an approver with a grant on the model, or an admin. The bytes
 * are checked with onnxruntime before anything is stored; a mismatch is a 400 naming each one,
 * with nothing stored or registered. The registry audits the new version (`version.register`)
 * with the principal and the request's origin.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ArtifactStore } from '../../artifacts/artifact-store';
import { importContractSchema } from '../../pipeline/import-params';
import { importModel } from '../../registry/import-model';
import type { ModelRegistry } from '../../registry/model-registry';
import { ModelContractError } from '../../errors';
import { sendProblem } from '../errors';
import { requestOrigin } from '../request-audit';

export interface ModelImportRoutesDeps {
  registry: ModelRegistry;
  store: ArtifactStore;
}

/** Largest model the route accepts (the body is held in memory once). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

const list = z
  .string()
  .max(64_000)
  .transform((s) => s.split(',').map((c) => c.trim()).filter((c) => c !== ''));

export const modelImportRoutes =
  ({ registry, store }: ModelImportRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Raw bytes for this plugin's routes only; JSON stays the default elsewhere.
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (_req, body, done) => done(null, body));
    app.post(
      '/v1/models/:model/import',
      {
        bodyLimit: MAX_IMPORT_BYTES,
        config: { action: 'model.import', resource: (request) => ({ model: (request.params as { model: string }).model }) },
        schema: {
          summary: 'Register an ONNX model trained elsewhere (approver with a grant on the model, or admin)',
          description:
            'Body: the .onnx bytes as application/octet-stream. Query: task (binary, multiclass, regression), numeric and categorical ' +
            '(comma-separated feature columns: the model\'s inputs, tensor(float) / tensor(string) [N,1]), classes (multiclass: in probability-column order), ' +
            'filename (recorded as the source), description. The model is checked with onnxruntime first: a mismatch answers 400 naming it, and nothing is stored. ' +
            'Importing the same bytes again returns the version they were registered as (200 instead of 201).',
          params: z.object({ model: z.string().min(1).max(200) }),
          querystring: z
            .object({
              task: importContractSchema.shape.task,
              numeric: list.optional(),
              categorical: list.optional(),
              classes: list.optional(),
              filename: z.string().min(1).max(300).optional(),
              description: z.string().max(2000).optional(),
            })
            .strict(),
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.length === 0) {
          return sendProblem(reply, 400, 'Bad Request', 'body: send the .onnx file as application/octet-stream (e.g. curl --data-binary @model.onnx -H "content-type: application/octet-stream")');
        }
        const q = request.query;
        const parsed = importContractSchema.safeParse({
          task: q.task,
          features: { numeric: q.numeric ?? [], categorical: q.categorical ?? [] },
          ...(q.classes ? { classes: q.classes } : {}),
        });
        if (!parsed.success) throw new ModelContractError(parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`));
        const contract = parsed.data;
        const dir = await store.scratchDir('import');
        try {
          const file = join(dir, 'model.onnx');
          await writeFile(file, body);
          const { version, created } = await importModel(
            { registry, store },
            {
              model: request.params.model,
              file,
              sourceName: q.filename ?? 'upload',
              contract,
              description: q.description,
              actor: request.principal!.name,
              origin: requestOrigin(request),
            },
          );
          request.log.info({ model: version.model, version: version.version, sha256: version.artifact.sha256, created }, 'model imported');
          return reply.status(created ? 201 : 200).send(version);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    );
  };
