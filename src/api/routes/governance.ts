/**
 * The audit log (read and verify) and access control (principals, tokens, grants; admin only).
 * AccessControl audits its own changes in the same transaction; the routes pass the request's
 * origin and reason through, and write no second entry.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessControl } from '../../auth/access-control';
import { ROLES } from '../../auth/roles';
import type { AuditLog } from '../../audit/audit-log';
import { actionContext } from '../request-audit';

export interface GovernanceRoutesDeps {
  access: AccessControl;
  audit: AuditLog;
}

const reason = z.string().max(2000).optional();
const grantBody = z
  .object({ principal: z.string().min(1).max(100), model: z.string().min(1).max(200), alias: z.string().min(1).max(200).optional(), reason })
  .strict();

export const governanceRoutes =
  ({ access, audit }: GovernanceRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const admin = { action: 'token.manage' } as const;

    app.get('/v1/whoami', { config: { action: 'model.read' }, schema: { summary: 'The principal behind the token, with roles and grants' } }, async (request) => {
      const { name, roles, grants } = request.principal!;
      return { name, roles, grants };
    });

    app.get(
      '/v1/audit',
      {
        config: { action: 'audit.read' },
        schema: {
          summary: 'Query the audit log',
          description: 'Filters combine with AND; `target` matches exactly, `targetPrefix` by prefix (e.g. model:churn).',
          querystring: z.object({
            actor: z.string().optional(),
            action: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/).optional(),
            target: z.string().optional(),
            targetPrefix: z.string().optional(),
            afterSeq: z.coerce.number().int().min(0).optional(),
            newestFirst: z.enum(['true', 'false']).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
        },
      },
      async (request) => {
        const { newestFirst, action, ...query } = request.query;
        return { entries: await audit.list({ ...query, action: action as `${string}.${string}` | undefined, newestFirst: newestFirst === 'true' }) };
      },
    );

    app.get(
      '/v1/audit/verify',
      {
        config: { action: 'audit.read' },
        schema: {
          summary: 'Re-hash the audit chain; ok, or the first edited or deleted entry',
          querystring: z.object({ expectSeq: z.coerce.number().int().min(0).optional(), expectHash: z.string().regex(/^[0-9a-f]{64}$/).optional() }),
        },
      },
      async (request) => {
        const { expectSeq, expectHash } = request.query;
        return audit.verify(expectSeq !== undefined && expectHash ? { seq: expectSeq, hash: expectHash } : undefined);
      },
    );

    app.get('/v1/principals', { config: admin, schema: { summary: 'Principals with their roles (admin)' } }, async () => ({
      principals: await access.listPrincipals(),
    }));
    app.put(
      '/v1/principals/:name',
      {
        config: admin,
        schema: {
          summary: 'Create a principal or replace its roles (admin)',
          params: z.object({ name: z.string().min(1).max(100) }),
          body: z.object({ roles: z.array(z.enum(ROLES)).min(1), reason }).strict(),
        },
      },
      async (request) =>
        access.setPrincipal({ name: request.params.name, roles: request.body.roles }, request.principal!, actionContext(request, request.body.reason)),
    );
    app.post(
      '/v1/principals/:name/disable',
      {
        config: admin,
        schema: { summary: 'Disable a principal and all its tokens (admin)', params: z.object({ name: z.string().min(1).max(100) }), body: z.object({ reason }).strict().nullish() },
      },
      async (request) => access.disablePrincipal(request.params.name, request.principal!, actionContext(request, request.body?.reason)),
    );

    app.get(
      '/v1/tokens',
      { config: admin, schema: { summary: 'Tokens, newest first, never their secrets (admin)', querystring: z.object({ principal: z.string().optional() }) } },
      async (request) => ({ tokens: await access.listTokens(request.query.principal) }),
    );
    app.post(
      '/v1/tokens',
      {
        config: admin,
        schema: {
          summary: 'Create a token for a principal (admin); the secret is in this response only',
          body: z.object({ principal: z.string().min(1).max(100), label: z.string().min(1).max(200), expiresAt: z.iso.datetime().optional(), reason }).strict(),
        },
      },
      async (request, reply) => {
        const { reason: why, ...input } = request.body;
        return reply.status(201).send(await access.createToken(input, request.principal!, actionContext(request, why)));
      },
    );
    app.post(
      '/v1/tokens/:id/revoke',
      { config: admin, schema: { summary: 'Revoke a token (admin)', params: z.object({ id: z.string().min(1).max(100) }), body: z.object({ reason }).strict().nullish() } },
      async (request) => access.revokeToken(request.params.id, request.principal!, actionContext(request, request.body?.reason)),
    );

    app.get(
      '/v1/grants',
      { config: admin, schema: { summary: 'Alias-move grants (admin)', querystring: z.object({ principal: z.string().optional() }) } },
      async (request) => ({ grants: await access.listGrants(request.query.principal) }),
    );
    app.post('/v1/grants', { config: admin, schema: { summary: 'Allow a principal to move aliases of a model (admin)', body: grantBody } }, async (request, reply) => {
      const { reason: why, ...input } = request.body;
      return reply.status(201).send(await access.grant(input, request.principal!, actionContext(request, why)));
    });
    app.post('/v1/grants/revoke', { config: admin, schema: { summary: 'Remove a grant (admin)', body: grantBody } }, async (request) => {
      const { reason: why, ...input } = request.body;
      return { revoked: await access.revokeGrant(input, request.principal!, actionContext(request, why)) };
    });
  };
