/**
 * Authentication and authorisation of every API route.
 *
 * Each route names the action it performs in its config (`config: { action: 'run.start' }`),
 * checked against ACTION_RULES by `authorize`; a route without one cannot be registered, so a
 * new endpoint can never be open by accident. Order: 401 (no valid token, in `onRequest`,
 * before the body is even parsed), then 403 for a missing role, then, for alias moves only,
 * the route's `resource` lookup (which may answer 404) and the per-model grant check (alias
 * moves and other per-model actions).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../auth/authorize';
import type { Principal, Resource } from '../auth/principal';
import { ACTION_RULES, isAction, type Action } from '../auth/roles';
import type { Authenticator } from '../auth/authenticator';
import { bearerToken } from '../auth/tokens';
import { AuthFailureThrottle } from '../auth/auth-throttle';
import { sendProblem } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** What the route does; `public` routes (health, OpenAPI) need no token. */
    action?: Action | 'public';
    /** The model (and alias) acted on, for actions that need a per-model grant (`aliasGrant` or `modelGrant`). */
    resource?: (request: FastifyRequest) => Resource | Promise<Resource>;
    /** Where the route reads its token instead of the bearer header (the console's session cookie). */
    tokenFrom?: (request: FastifyRequest) => string | undefined;
  }
}

/** Stands in for the caller when the API runs with SLIPWAY_API_INSECURE=true (local development). */
export const INSECURE_PRINCIPAL: Principal = Object.freeze({ name: 'insecure:anonymous', roles: ['admin'] as const, grants: [] });

export interface AuthorizationOptions {
  /** Undefined only when the operator explicitly runs the API without authentication. */
  authenticator?: Authenticator;
  /** Failed-authentication throttling per client address. @default new AuthFailureThrottle() (10 per minute) */
  throttle?: AuthFailureThrottle;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any server, logger and type provider
export function installAuthorization(app: FastifyInstance<any, any, any, any, any>, options: AuthorizationOptions): void {
  app.addHook('onRoute', (route) => {
    const action = route.config?.action;
    if (action !== 'public' && !isAction(action)) {
      throw new Error(`Route ${String(route.method)} ${route.url} names no action in config.action; add one from ACTION_RULES (src/auth/roles.ts)`);
    }
  });

  const throttle = options.throttle ?? new AuthFailureThrottle();
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.action === 'public') return;
    if (!options.authenticator) {
      request.principal = INSECURE_PRINCIPAL;
      return;
    }
    const retryAfter = throttle.blockedFor(request.ip);
    if (retryAfter !== undefined) return sendThrottled(reply, retryAfter);
    const tokenFrom = request.routeOptions.config.tokenFrom;
    const token = tokenFrom ? tokenFrom(request) : bearerToken(request.headers.authorization);
    const principal = await options.authenticator.authenticate(token);
    if (!principal && token) throttle.recordFailure(request.ip);
    // authorize() throws the 401 with its problem body when there is no principal; an unknown
    // path (no action) answers 401 too, so callers without a token learn nothing about routes.
    if (!principal) authorize(undefined, request.routeOptions.config.action ?? 'model.read');
    request.principal = principal;
  });

  // preValidation: a caller without the role learns nothing about its request body's problems.
  app.addHook('preValidation', async (request) => {
    const action = request.routeOptions.config.action;
    if (action === 'public' || action === undefined) return;
    const principal = request.principal;
    const rule = ACTION_RULES[action];
    const admin = principal?.roles.includes('admin');
    const perModel = rule.aliasGrant || ('modelGrant' in rule && rule.modelGrant);
    if (!perModel || admin || !principal?.roles.includes(rule.role)) {
      authorize(principal, action);
      return;
    }
    const resolve = request.routeOptions.config.resource;
    authorize(principal, action, resolve ? await resolve(request) : {});
  });
}

/** 429 with Retry-After: too many unknown tokens from this address; the token was not checked. */
function sendThrottled(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  return sendProblem(reply.header('retry-after', String(retryAfterSeconds)), 429, 'Too Many Requests', `Too many failed authentications from this address; try again in ${retryAfterSeconds} s`, {
    type: 'urn:slipway:error:AuthenticationThrottled',
  });
}
