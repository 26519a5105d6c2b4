/** Continuous-training schedules, one per model. */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resolvePipelineInput } from '../../pipeline/resolve-pipeline-input';
import { redactInput } from '../../pipeline/redact-input';
import type { AuditLog } from '../../audit/audit-log';
import { scheduleRequestSchema, type PipelineSchedules } from '../../client/schedules';
import { auditAround } from '../request-audit';

export interface ScheduleRoutesDeps {
  schedules: PipelineSchedules;
  pipelinesDir: string;
  /** See ApiDeps.dataRoots. */
  dataRoots?: readonly string[];
  audit: AuditLog;
}

const modelParams = z.object({ model: z.string().regex(/^[a-z][a-z0-9-]*$/) });

export const scheduleRoutes =
  (deps: ScheduleRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    /** Every schedule change is a `schedule.change` intent and outcome around the call; `operation` says which. */
    const audited = <T>(
      request: FastifyRequest,
      model: string,
      operation: string,
      details: Record<string, unknown>,
      call: () => Promise<T>,
      outcome?: (result: T) => Record<string, unknown>,
    ) => auditAround(deps.audit, request, { action: 'schedule.change', target: `schedule:${model}`, details: { operation, ...details } }, call, outcome);

    app.post(
      '/v1/schedules',
      {
        config: { action: 'schedule.manage' },
        schema: {
          summary: 'Create the schedule of a model (admin)',
          description: 'Fields: model, input, every | cron[], jitter, overlap (default SKIP), catchupWindow (default 1 day), pauseOnFailure (default true), paused, note.',
          body: z.record(z.string(), z.unknown()),
        },
      },
      async (request, reply) => {
        const input = (request.body as { input?: unknown }).input;
        // The schedule's runs act for its creator: checked now as they will be when each run resolves.
        if (input !== undefined) {
          await resolvePipelineInput({ pipelinesDir: deps.pipelinesDir, dataRoots: deps.dataRoots }, input, { principal: request.principal, via: 'ticket' });
        }
        // Checked before the intent entry, so a malformed request writes nothing and the target is a valid model name.
        const parsed = scheduleRequestSchema.safeParse(request.body);
        if (!parsed.success) return deps.schedules.create(request.body as never, request.principal);
        const view = await audited(
          request,
          parsed.data.model,
          'create',
          { request: redactInput(request.body as Record<string, unknown>) },
          () => deps.schedules.create(request.body as never, request.principal),
          (v) => ({ scheduleId: v.scheduleId }),
        );
        return reply.status(201).send(view);
      },
    );
    app.get('/v1/schedules', { config: { action: 'run.read' }, schema: { summary: 'List schedules with their next runs' } }, async () => ({ schedules: await deps.schedules.list() }));
    app.get('/v1/schedules/:model', { config: { action: 'run.read' }, schema: { summary: 'One schedule', params: modelParams } }, async (request) =>
      deps.schedules.describe(request.params.model),
    );
    for (const action of ['pause', 'unpause', 'trigger'] as const) {
      app.post(`/v1/schedules/:model/${action}`, { config: { action: 'schedule.manage' }, schema: { summary: `${action} a schedule (admin)`, params: modelParams } }, async (request, reply) => {
        await audited(request, request.params.model, action, {}, () => deps.schedules[action](request.params.model));
        return reply.status(202).send({ model: request.params.model, [action]: true });
      });
    }
    app.post(
      '/v1/schedules/:model/backfill',
      {
        config: { action: 'schedule.manage' },
        schema: {
          summary: 'Run the schedule for a past time range (admin)',
          params: modelParams,
          body: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).strict(),
        },
      },
      async (request, reply) => {
        await audited(request, request.params.model, 'backfill', request.body, () =>
          deps.schedules.backfill(request.params.model, new Date(request.body.start), new Date(request.body.end)),
        );
        return reply.status(202).send({ model: request.params.model, backfill: request.body });
      },
    );
    app.delete('/v1/schedules/:model', { config: { action: 'schedule.manage' }, schema: { summary: 'Delete a schedule (admin)', params: modelParams } }, async (request, reply) => {
      await audited(request, request.params.model, 'delete', {}, () => deps.schedules.delete(request.params.model));
      return reply.status(204).send();
    });
  };
