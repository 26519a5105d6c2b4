/** `/healthz` (the process answers), `/readyz` (models loaded, problems listed) and `/metrics`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DeploymentManager } from '../deployment-manager';
import type { ServingMetrics } from '../serving-metrics';

export const healthRoutes =
  (deps: { deployments: DeploymentManager; metrics: ServingMetrics }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/healthz', async () => ({ ok: true }));

    // Ready when every deployed model has a loadable version with traffic. Refused versions
    // are listed either way, so a tampered canary shows up even while the champion serves.
    app.get('/readyz', async (_request, reply) => {
      const deployments = deps.deployments.list();
      const unavailable = deployments.filter((d) => !d.serving).map((d) => d.model);
      const problems = deps.deployments.failures();
      const ready = unavailable.length === 0;
      return reply.status(ready ? 200 : 503).send({
        ready,
        models: deployments.map((d) => ({ model: d.model, revision: d.revision, serving: d.serving })),
        unavailable,
        problems,
      });
    });

    app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  };
