/** Pipeline runs: start (idempotent), status, list, cancel, approve, reject. */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resolvePipelineInput } from '../../pipeline/resolve-pipeline-input';
import type { AuditLog } from '../../audit/audit-log';
import type { Resource } from '../../auth/principal';
import type { SlipwayClient } from '../../client/slipway-client';
import { INSECURE_PRINCIPAL } from '../authorization';
import { workflowIdFor } from '../../client/slipway-client';
import { auditAround } from '../request-audit';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { authorize } from '../../auth/authorize';
import { PermissionDeniedError } from '../../errors';
import { redactInput, withoutTicket } from '../../pipeline/redact-input';
import { loadTrainerRegistry, type TrainerRegistry } from '../../training/trainer-registry';

/** 404: the id names no pipeline run this API may act on (fastify answers with `statusCode`). */
export class RunNotFoundError extends Error {
  override readonly name = 'Not Found';
  readonly statusCode = 404;
  constructor(message: string, readonly details: Record<string, unknown>) {
    super(message);
  }
}

/** A decision the workflow refused because the worker could not verify it is a 403, not a 500. */
export function updateRefusal(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && ['PermissionDenied', 'UnverifiableIdentity'].includes(err.cause.type ?? '')) {
    throw new PermissionDeniedError(err.cause.message);
  }
  throw err;
}

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
    /**
     * Approving promotes and rejecting keeps a candidate out: both need a grant on the model at the
     * alias the waiting promote step moves. Only pipeline runs of this API's task queue are decided here.
     */
    const promotedModel = async (request: FastifyRequest): Promise<Resource> => {
      const { workflowId } = request.params as { workflowId: string };
      await pipelineRun(workflowId);
      const status = await deps.slipway.getStatus(workflowId);
      // Runs from before the gate recorded its alias: only a grant on every alias of the model covers them.
      return { model: status.model, alias: status.approval?.alias };
    };
    /** @throws NotFoundError unless `workflowId` is a pipeline run on this API's task queue. */
    const pipelineRun = async (workflowId: string) => {
      const run = await deps.slipway.describeRun(workflowId);
      if (!run || run.type !== 'pipeline' || run.taskQueue !== deps.slipway.taskQueue) {
        throw new RunNotFoundError(`no pipeline run "${workflowId}": only pipeline runs can be cancelled, approved or rejected here (rollbacks and canaries have their own routes)`, { details: { workflowId } });
      }
      return run;
    };

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
          config: { action: decision === 'approve' ? 'run.approve' : 'run.reject', resource: promotedModel },
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
          await pipelineRun(request.params.workflowId);
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
        const run = await pipelineRun(request.params.workflowId);
        // A schedule's run belongs to the schedule's owner: an admin pauses or cancels those.
        if (run.scheduled) authorize(request.principal, 'schedule.manage');
        // Scope and grant checks come before the intent entry: a refused cancel writes nothing.
        await auditAround(deps.audit, request, { action: 'run.cancel', target: `run:${request.params.workflowId}`, reason: request.body?.reason }, () =>
          deps.slipway.cancel(request.params.workflowId),
        );
        request.log.info({ workflowId: request.params.workflowId, actor: request.principal?.name }, 'pipeline cancel requested');
        return reply.status(202).send({ workflowId: request.params.workflowId, cancelRequested: true });
      },
    );
  };
