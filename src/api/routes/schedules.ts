/** Continuous-training schedules, one per model. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resolvePipelineInput } from '../../activities/resolve-pipeline';
import type { PipelineSchedules } from '../../client/schedules';

export interface ScheduleRoutesDeps {
  schedules: PipelineSchedules;
  pipelinesDir: string;
}

const modelParams = z.object({ model: z.string().regex(/^[a-z][a-z0-9-]*$/) });

export const scheduleRoutes =
  (deps: ScheduleRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/schedules',
      {
        schema: {
          summary: 'Create the schedule of a model',
          description: 'Fields: model, input, every | cron[], jitter, overlap (default SKIP), catchupWindow (default 1 day), pauseOnFailure (default true), paused, note.',
          body: z.record(z.string(), z.unknown()),
        },
      },
      async (request, reply) => {
        const input = (request.body as { input?: unknown }).input;
        if (input !== undefined) await resolvePipelineInput({ pipelinesDir: deps.pipelinesDir }, input);
        return reply.status(201).send(await deps.schedules.create(request.body as never));
      },
    );
    app.get('/v1/schedules', { schema: { summary: 'List schedules with their next runs' } }, async () => ({ schedules: await deps.schedules.list() }));
    app.get('/v1/schedules/:model', { schema: { summary: 'One schedule', params: modelParams } }, async (request) =>
      deps.schedules.describe(request.params.model),
    );
    for (const action of ['pause', 'unpause', 'trigger'] as const) {
      app.post(`/v1/schedules/:model/${action}`, { schema: { summary: `${action} a schedule`, params: modelParams } }, async (request, reply) => {
        await deps.schedules[action](request.params.model);
        return reply.status(202).send({ model: request.params.model, [action]: true });
      });
    }
    app.post(
      '/v1/schedules/:model/backfill',
      {
        schema: {
          summary: 'Run the schedule for a past time range',
          params: modelParams,
          body: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).strict(),
        },
      },
      async (request, reply) => {
        await deps.schedules.backfill(request.params.model, new Date(request.body.start), new Date(request.body.end));
        return reply.status(202).send({ model: request.params.model, backfill: request.body });
      },
    );
    app.delete('/v1/schedules/:model', { schema: { summary: 'Delete a schedule', params: modelParams } }, async (request, reply) => {
      await deps.schedules.delete(request.params.model);
      return reply.status(204).send();
    });
  };
