/**
 * The admin API the canary activities drive: set, read and remove a model's deployment,
 * and read per-version live stats. Every route needs a bearer token (see model-server.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DeploymentManager, DeployedVersion } from '../deployment-manager';
import { weightedVersionSchema } from '../deployment-store';
import type { LiveStats, VersionLiveStats } from '../live-stats';
import { problem } from './predict';

export interface AdminRouteDeps {
  deployments: DeploymentManager;
  stats: LiveStats;
  statsRetentionSeconds: number;
  now: () => number;
  /** ISO start time of this server process, in every answer that carries state or stats. */
  startedAt: string;
}

/** Most versions one deployment may split traffic between. */
export const MAX_DEPLOYED_VERSIONS = 8;

const modelParams = z.object({ name: z.string().min(1).max(200) });

export const deploymentBody = z.object({
  versions: z
    .array(weightedVersionSchema)
    .min(1)
    .max(MAX_DEPLOYED_VERSIONS)
    .refine((vs) => new Set(vs.map((v) => v.version)).size === vs.length, 'each version may appear once')
    .refine((vs) => vs.some((v) => v.weight > 0), 'at least one version needs a positive weight'),
  /** Compare-and-set: apply only if the deployment is at this revision (null: not deployed yet). */
  expectedRevision: z.number().int().positive().nullable().optional(),
});

const statsQuery = z
  .object({
    version: z.coerce.number().int().positive().optional(),
    /** ISO 8601 time or epoch milliseconds. */
    since: z
      .string()
      .transform((s, ctx) => {
        const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
        if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: 'since: give an ISO 8601 time or epoch milliseconds' });
        return ms;
      })
      .optional(),
    windowSeconds: z.coerce.number().positive().optional(),
  })
  .refine((q) => q.since === undefined || q.windowSeconds === undefined, 'give "since" or "windowSeconds", not both');

/** One version in the stats answer: live stats plus its place in the deployment. */
export interface VersionStatsView extends VersionLiveStats {
  /** Weight in the current deployment; null when the version is no longer deployed. */
  weight: number | null;
  share: number;
  state: DeployedVersion['state'] | 'undeployed';
}

/** Answer of `GET /admin/v1/models/:name/stats`. */
export interface ModelStatsView {
  model: string;
  /** ISO 8601 bounds of the range the figures cover (whole seconds). */
  from: string;
  to: string;
  /** Revision of the current deployment; null when the model is not deployed. */
  revision: number | null;
  /** Start of this server process: stats before it are gone. */
  serverStartedAt: string;
  versions: VersionStatsView[];
}

export const adminRoutes =
  (deps: AdminRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/admin/v1/deployments', async () => ({ deployments: deps.deployments.list(), serverStartedAt: deps.startedAt }));

    app.get('/admin/v1/models/:name/deployment', { schema: { params: modelParams } }, async (request, reply) => {
      const view = deps.deployments.view(request.params.name);
      return view ? { ...view, serverStartedAt: deps.startedAt } : reply.status(404).send(problem(404, 'Not Found', `Model "${request.params.name}" is not deployed`));
    });

    app.put('/admin/v1/models/:name/deployment', { schema: { params: modelParams, body: deploymentBody } }, async (request, reply) => {
      const result = await deps.deployments.apply(request.params.name, request.body.versions, request.body.expectedRevision);
      if (!result.ok && 'conflict' in result) {
        const { expectedRevision, revision } = result.conflict;
        return reply
          .status(409)
          .send(problem(409, 'Conflict', `Deployment of "${request.params.name}" is at revision ${revision ?? 'none'}, not ${expectedRevision ?? 'none'}; read it again and decide`, { revision }));
      }
      if (!result.ok) {
        const list = result.failures.map((f) => `version ${f.version}: ${f.message}`).join('; ');
        return reply
          .status(422)
          .send(problem(422, 'DeploymentRefused', `Deployment of "${request.params.name}" refused, the running one is unchanged: ${list}`, { failures: result.failures }));
      }
      return { changed: result.changed, deployment: result.deployment, serverStartedAt: deps.startedAt };
    });

    app.delete('/admin/v1/models/:name/deployment', { schema: { params: modelParams } }, async (request, reply) => {
      const removed = await deps.deployments.remove(request.params.name);
      return removed ? { removed } : reply.status(404).send(problem(404, 'Not Found', `Model "${request.params.name}" is not deployed`));
    });

    app.get('/admin/v1/models/:name/stats', { schema: { params: modelParams, querystring: statsQuery } }, async (request, reply) => {
      const { name } = request.params;
      const { version, since, windowSeconds } = request.query;
      const to = deps.now();
      const from = since ?? to - (windowSeconds ?? deps.statsRetentionSeconds) * 1000;
      const deployment = deps.deployments.view(name);
      const known = deps.stats.versions(name);
      if (!deployment && known.length === 0) return reply.status(404).send(problem(404, 'Not Found', `Model "${name}" is not deployed and has no stats`));
      const deployed = deployment?.versions.map((v) => v.version) ?? [];
      const versions = version !== undefined ? [version] : [...deployed, ...known.filter((v) => !deployed.includes(v))];
      const view: ModelStatsView = {
        model: name,
        from: new Date(Math.floor(from / 1000) * 1000).toISOString(),
        to: new Date(Math.floor(to / 1000) * 1000 + 999).toISOString(),
        revision: deployment?.revision ?? null,
        serverStartedAt: deps.startedAt,
        versions: versions.map((v) => {
          const d = deployment?.versions.find((x) => x.version === v);
          return { ...deps.stats.summarize(name, v, from, to), weight: d?.weight ?? null, share: d?.share ?? 0, state: d?.state ?? 'undeployed' };
        }),
      };
      return view;
    });
  };
