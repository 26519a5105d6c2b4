/** Continuous-training schedules, one per model. */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resolvePipelineInput } from '../../pipeline/resolve-pipeline-input';
import type { AuditLog } from '../../audit/audit-log';
import type { PipelineSchedules } from '../../client/schedules';
import { auditRequest } from '../request-audit';

export interface ScheduleRoutesDeps {
  schedules: PipelineSchedules;
  pipelinesDir: string;
  audit: AuditLog;
}

const modelParams = z.object({ model: z.string().regex(/^[a-z][a-z0-9-]*$/) });

export const scheduleRoutes =
  (deps: ScheduleRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    /** Every schedule change is one `schedule.change` entry; `operation` says which. */
    const audited = (request: FastifyRequest, model: string, operation: string, details: Record<string, unknown> = {}) =>
      auditRequest(deps.audit, request, { action: 'schedule.change', target: `schedule:${model}`, details: { operation, ...details } });

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
        if (input !== undefined) await resolvePipelineInput({ pipelinesDir: deps.pipelinesDir }, input);
        const view = await deps.schedules.create(request.body as never);
        await audited(request, view.model, 'create', { scheduleId: view.scheduleId, request: request.body });
        return reply.status(201).send(view);
      },
    );
    app.get('/v1/schedules', { config: { action: 'run.read' }, schema: { summary: 'List schedules with their next runs' } }, async () => ({ schedules: await deps.schedules.list() }));
    app.get('/v1/schedules/:model', { config: { action: 'run.read' }, schema: { summary: 'One schedule', params: modelParams } }, async (request) =>
      deps.schedules.describe(request.params.model),
    );
    for (const action of ['pause', 'unpause', 'trigger'] as const) {
      app.post(`/v1/schedules/:model/${action}`, { config: { action: 'schedule.manage' }, schema: { summary: `${action} a schedule (admin)`, params: modelParams } }, async (request, reply) => {
        await deps.schedules[action](request.params.model);
        await audited(request, request.params.model, action);
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
        await deps.schedules.backfill(request.params.model, new Date(request.body.start), new Date(request.body.end));
        await audited(request, request.params.model, 'backfill', request.body);
        return reply.status(202).send({ model: request.params.model, backfill: request.body });
      },
    );
    app.delete('/v1/schedules/:model', { config: { action: 'schedule.manage' }, schema: { summary: 'Delete a schedule (admin)', params: modelParams } }, async (request, reply) => {
      await deps.schedules.delete(request.params.model);
      await audited(request, request.params.model, 'delete');
      return reply.status(204).send();
    });
  };
