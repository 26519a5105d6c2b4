/** Pipeline runs: start (idempotent), status, list, cancel, approve, reject. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resolvePipelineInput } from '../../pipeline/resolve-pipeline-input';
import type { AuditLog } from '../../audit/audit-log';
import type { SlipwayClient } from '../../client/slipway-client';
import { INSECURE_PRINCIPAL } from '../authorization';
import { workflowIdFor } from '../../client/slipway-client';
import { auditAround } from '../request-audit';
import { cancellableRun, decisionResource, pipelineRun, updateRefusal } from '../run-scope';
import path from 'node:path';
import { redactInput, withoutTicket } from '../../pipeline/redact-input';
import { loadTrainerRegistry, type TrainerRegistry } from '../../training/trainer-registry';

export interface RunRoutesDeps {
  slipway: SlipwayClient;
  pipelinesDir: string;
  /** See ApiDeps.dataRoots. */
  dataRoots?: readonly string[];
  audit: AuditLog;
  /** @default trainers/registry.yaml under the working directory */
  trainers?: TrainerRegistry;
  inlineCommandPrincipals?: readonly string[];
}

const runIdParams = z.object({ workflowId: z.string().min(1).max(400) });

export const runRoutes =
  (deps: RunRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const trainers = deps.trainers ?? loadTrainerRegistry(path.resolve('trainers/registry.yaml'));

    app.post(
      '/v1/runs',
      {
        config: { action: 'run.start' },
        schema: {
          summary: 'Start a pipeline run (operator)',
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
        await resolvePipelineInput(
          { pipelinesDir: deps.pipelinesDir, dataRoots: deps.dataRoots, trainers, inlineCommandPrincipals: deps.inlineCommandPrincipals },
          withoutTicket(request.body.input),
          { principal: request.principal, via: 'ticket' },
        );
        const { input, idempotencyKey } = request.body;
        // The id is fixed before the call so the intent entry can name the run it is about.
        const workflowId = workflowIdFor(withoutTicket(input), idempotencyKey);
        const run = await auditAround(
          deps.audit,
          request,
          { action: 'run.start', target: `run:${workflowId}`, details: { workflowType: 'pipeline', input: redactInput(input), idempotencyKey: idempotencyKey ?? null } },
          // The ticket signs who starts the run, so the worker can check it wherever it matters.
          () => deps.slipway.startPipeline(input, { idempotencyKey, workflowId, principal: request.principal }),
          // A repeated key starts nothing: the outcome says so.
          (started) => ({ runId: started.runId, created: started.created }),
        );
        request.log.info({ workflowId: run.workflowId, created: run.created, actor: request.principal?.name }, 'pipeline start requested');
        return reply.status(run.created ? 201 : 200).send(run);
      },
    );

    app.get(
      '/v1/runs',
      {
        config: { action: 'run.read' },
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

    app.get('/v1/runs/:workflowId', { config: { action: 'run.read' }, schema: { summary: 'Status of one run', params: runIdParams } }, async (request) =>
      deps.slipway.getStatus(request.params.workflowId),
    );

    for (const decision of ['approve', 'reject'] as const) {
      app.post(
        `/v1/runs/:workflowId/${decision}`,
        {
          config: { action: decision === 'approve' ? 'run.approve' : 'run.reject', resource: (request) => decisionResource(deps.slipway, (request.params as { workflowId: string }).workflowId) },
          schema: {
            summary: `${decision} the promotion a run waits for (approver${decision === 'approve' ? ' with a grant on the model' : ''})`,
            params: runIdParams,
            body: z.object({ reason: z.string().min(1).max(2000), approver: z.string().min(1).max(200).optional() }).strict(),
          },
        },
        async (request) => {
          // The authenticated principal is the approver; a body value only counts when the API runs without authentication.
          const approver = request.principal === INSECURE_PRINCIPAL ? (request.body.approver ?? INSECURE_PRINCIPAL.name) : request.principal!.name;
          // Scope and grant checks come before the intent entry: a refused decision writes nothing.
          await pipelineRun(deps.slipway, request.params.workflowId);
          // The promotion an approval triggers is audited by the registry (model.promote); this records the decision.
          const state = await auditAround(
            deps.audit,
            request,
            { action: decision === 'approve' ? 'run.approve' : 'run.reject', target: `run:${request.params.workflowId}`, reason: request.body.reason, details: { approver } },
            () => deps.slipway[decision](request.params.workflowId, { approver, reason: request.body.reason }, request.principal).catch(updateRefusal),
            (result) => ({ state: result.state }),
          );
          request.log.info({ workflowId: request.params.workflowId, decision, approver }, 'promotion decision');
          return state;
        },
      );
    }

    app.post(
      '/v1/runs/:workflowId/cancel',
      {
        config: { action: 'run.cancel' },
        schema: {
          summary: 'Request cancellation of a run (operator)',
          params: runIdParams,
          body: z.object({ reason: z.string().max(2000).optional() }).strict().nullish(),
        },
      },
      async (request, reply) => {
        await cancellableRun(deps.slipway, request.principal, request.params.workflowId);
        // Scope and grant checks come before the intent entry: a refused cancel writes nothing.
        await auditAround(deps.audit, request, { action: 'run.cancel', target: `run:${request.params.workflowId}`, reason: request.body?.reason }, () =>
          deps.slipway.cancel(request.params.workflowId),
        );
        request.log.info({ workflowId: request.params.workflowId, actor: request.principal?.name }, 'pipeline cancel requested');
        return reply.status(202).send({ workflowId: request.params.workflowId, cancelRequested: true });
      },
    );
  };
