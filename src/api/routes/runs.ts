/** Pipeline runs: start (idempotent), status, list, cancel. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resolvePipelineInput } from '../../activities/resolve-pipeline';
import type { SlipwayClient } from '../../client/slipway-client';

export interface RunRoutesDeps {
  slipway: SlipwayClient;
  pipelinesDir: string;
}

const runIdParams = z.object({ workflowId: z.string().min(1).max(400) });

export const runRoutes =
  (deps: RunRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/runs',
      {
        schema: {
          summary: 'Start a pipeline run',
          description: 'Validates the input (as the workflow would) and starts the `pipeline` workflow. A repeated idempotencyKey returns the existing run with 200.',
          body: z
            .object({
              input: z.record(z.string(), z.unknown()).describe('Workflow input, e.g. {"pipeline":"flight-delay"}'),
              idempotencyKey: z.string().min(1).max(400).optional(),
            })
            .strict(),
        },
      },
      async (request, reply) => {
        // Same resolution as the workflow's first activity: a bad input is a 400 now, not a failed run later.
        await resolvePipelineInput({ pipelinesDir: deps.pipelinesDir }, request.body.input);
        const run = await deps.slipway.startPipeline(request.body.input, { idempotencyKey: request.body.idempotencyKey });
        request.log.info({ workflowId: run.workflowId, created: run.created, actor: request.principal?.id }, 'pipeline start requested');
        return reply.status(run.created ? 201 : 200).send(run);
      },
    );

    app.get(
      '/v1/runs',
      {
        schema: {
          summary: 'List pipeline runs, newest first',
          querystring: z.object({
            model: z.string().optional(),
            pipeline: z.string().optional(),
            outcome: z.enum(['promoted', 'rejected', 'completed', 'failed']).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
        },
      },
      async (request) => ({ runs: await deps.slipway.listRuns(request.query) }),
    );

    app.get('/v1/runs/:workflowId', { schema: { summary: 'Status of one run', params: runIdParams } }, async (request) =>
      deps.slipway.getStatus(request.params.workflowId),
    );

    for (const decision of ['approve', 'reject'] as const) {
      app.post(
        `/v1/runs/:workflowId/${decision}`,
        {
          schema: {
            summary: `${decision} the promotion a run waits for (manual promotion)`,
            params: runIdParams,
            body: z.object({ reason: z.string().min(1).max(2000), approver: z.string().min(1).max(200).optional() }).strict(),
          },
        },
        async (request) => {
          // The authenticated principal is the approver; a body value only counts without authentication.
          const approver = request.principal?.id ?? request.body.approver ?? 'anonymous';
          const state = await deps.slipway[decision](request.params.workflowId, { approver, reason: request.body.reason });
          request.log.info({ workflowId: request.params.workflowId, decision, approver }, 'promotion decision');
          return state;
        },
      );
    }

    app.post('/v1/runs/:workflowId/cancel', { schema: { summary: 'Request cancellation of a run', params: runIdParams } }, async (request, reply) => {
      await deps.slipway.cancel(request.params.workflowId);
      request.log.info({ workflowId: request.params.workflowId, actor: request.principal?.id }, 'pipeline cancel requested');
      return reply.status(202).send({ workflowId: request.params.workflowId, cancelRequested: true });
    });
  };
