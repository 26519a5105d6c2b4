/**
 * The admin API the canary activities drive: set, read and remove a model's deployment,
 * and read per-version live stats. Every route needs a bearer token (see model-server.ts).
 */
import type { PairedStats } from '../paired-window';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditEntryInput, AuditLog } from '../../audit/audit-log';
import type { DeploymentManager, DeployedVersion, DeploymentView } from '../deployment-manager';
import { weightedVersionSchema } from '../deployment-store';
import type { LiveStats, VersionLiveStats } from '../live-stats';
import type { ShadowCounts } from '../shadow-mirror';
import { problem } from './problem';

export interface AdminRouteDeps {
  deployments: DeploymentManager;
  stats: LiveStats;
  statsRetentionSeconds: number;
  now: () => number;
  /** ISO start time of this server process, in every answer that carries state or stats. */
  startedAt: string;
  /** Records every change made (not refused or unchanged ones). */
  audit?: AuditLog;
  logger?: Logger;
  /** Mirror counts of a model's shadow (shadow-mirror.ts); absent: the stats answer has no `shadow`. */
  shadowCounts?: (model: string) => ShadowCounts;
}

/** Header carrying why an admin change is made, for the audit log (a PUT body's `reason` wins). */
export const REASON_HEADER = 'x-slipway-reason';

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
  /**
   * Shadow mode: this version (listed in `versions` with weight 0) scores a mirror of every routed
   * request off the response path, for its live stats and labels. Absent: no shadow (a PUT
   * without it clears one). Same right as any deployment change (`deployment.change`).
   */
  shadow: z.number().int().positive().optional(),
  /** Compare-and-set: apply only if the deployment is at this revision (null: not deployed yet). */
  expectedRevision: z.number().int().positive().nullable().optional(),
  /** Why, for the audit log. */
  reason: z.string().max(1000).optional(),
})
  .refine((b) => b.shadow === undefined || b.versions.some((v) => v.version === b.shadow && v.weight === 0), {
    message: 'the shadow version must be listed in "versions" with weight 0: a shadow gets no routed traffic',
    path: ['shadow'],
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
  /** A shadow version's live quality paired with each version it shadowed (same requests); absent without pairs. */
  paired?: PairedStats[];
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
  /** The deployment's shadow version (null: none) and its mirror counts since the server started. */
  shadow?: ShadowCounts & { version: number | null };
}

export const adminRoutes =
  (deps: AdminRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    /**
     * Appends the audit entry of a change that was made. The change is already persisted, so a
     * failed append cannot undo it: it is logged as an error and answered 500, never silently lost.
     */
    const audited = async (request: FastifyRequest, entry: Omit<AuditEntryInput, 'actor' | 'origin' | 'reason'>, bodyReason?: string): Promise<boolean> => {
      if (!deps.audit) return true;
      const header = request.headers[REASON_HEADER];
      const reason = bodyReason ?? (typeof header === 'string' ? header.slice(0, 1000) : '');
      try {
        await deps.audit.append({ ...entry, actor: request.principal?.name ?? 'unknown', origin: `model-server ${request.ip}`, reason });
        return true;
      } catch (err) {
        deps.logger?.error({ err, ...entry }, 'deployment changed but its audit entry could not be written');
        return false;
      }
    };
    const auditFailed = (model: string) => problem(500, 'AuditWriteFailed', `The deployment of "${model}" changed, but its audit entry could not be written; see the server log`);

    app.get('/admin/v1/deployments', async () => ({ deployments: deps.deployments.list(), serverStartedAt: deps.startedAt }));

    app.get('/admin/v1/models/:name/deployment', { schema: { params: modelParams } }, async (request, reply) => {
      const view = deps.deployments.view(request.params.name);
      return view ? { ...view, serverStartedAt: deps.startedAt } : reply.status(404).send(problem(404, 'Not Found', `Model "${request.params.name}" is not deployed`));
    });

    app.put('/admin/v1/models/:name/deployment', { schema: { params: modelParams, body: deploymentBody } }, async (request, reply) => {
      const before = deps.deployments.view(request.params.name);
      const result = await deps.deployments.apply(request.params.name, request.body.versions, request.body.expectedRevision, request.body.shadow);
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
      if (result.changed) {
        const ok = await audited(
          request,
          {
            action: 'deployment.change',
            target: `deployment:${request.params.name}`,
            details: {
              revision: result.deployment.revision,
              versions: weights(result.deployment),
              ...(result.deployment.shadow !== undefined && { shadow: result.deployment.shadow }),
              previous: before ? { revision: before.revision, versions: weights(before), ...(before.shadow !== undefined && { shadow: before.shadow }) } : null,
            },
          },
          request.body.reason,
        );
        if (!ok) return reply.status(500).send(auditFailed(request.params.name));
      }
      return { changed: result.changed, deployment: result.deployment, serverStartedAt: deps.startedAt };
    });

    app.delete('/admin/v1/models/:name/deployment', { schema: { params: modelParams } }, async (request, reply) => {
      const before = deps.deployments.view(request.params.name);
      const removed = await deps.deployments.remove(request.params.name);
      if (!removed) return reply.status(404).send(problem(404, 'Not Found', `Model "${request.params.name}" is not deployed`));
      const ok = await audited(request, { action: 'deployment.remove', target: `deployment:${request.params.name}`, details: { previous: before ? { revision: before.revision, versions: weights(before) } : null } });
      return ok ? { removed } : reply.status(500).send(auditFailed(request.params.name));
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
          // A shadow's live quality paired with the version it shadowed, on the same requests (paired-window.ts).
          const paired = known.filter((u) => u !== v).flatMap((u) => deps.stats.paired(name, v, u, from, to) ?? []);
          return { ...deps.stats.summarize(name, v, from, to), weight: d?.weight ?? null, share: d?.share ?? 0, state: d?.state ?? 'undeployed', ...(paired.length > 0 && { paired }) };
        }),
        ...(deps.shadowCounts && { shadow: { version: deployment?.shadow ?? null, ...deps.shadowCounts(name) } }),
      };
      return view;
    });
  };

const weights = (view: DeploymentView) => view.versions.map((v) => ({ version: v.version, weight: v.weight }));
