/**
 * The access decision, as pure functions over an authenticated {@link Principal}: no I/O, so
 * callers can check before doing any work and tests can cover every action × role.
 */
import { AuthenticationError, PermissionDeniedError } from '../errors';
import { ACTION_RULES, type Action } from './roles';
import type { Principal, Resource } from './principal';

/** Why a request is allowed or not; `status` is the HTTP status to answer with. */
export type Decision =
  | { allowed: true }
  | { allowed: false; status: 401 | 403; reason: string };

/** Decides without throwing. */
export function decide(principal: Principal | undefined, action: Action, resource: Resource = {}): Decision {
  const rule = ACTION_RULES[action];
  if (!principal) {
    return { allowed: false, status: 401, reason: 'no valid API token: send "Authorization: Bearer <token>"' };
  }
  const roles = principal.roles;
  if (roles.includes('admin')) return { allowed: true };
  // A labeler is a narrow machine credential: it does not inherit reads.
  const hasRole = roles.includes(rule.role) || (rule.role === 'viewer' && roles.some((r) => r !== 'labeler'));
  if (!hasRole) {
    return {
      allowed: false,
      status: 403,
      reason: `${principal.name} (roles: ${roles.join(', ') || 'none'}) may not ${action} (${rule.description}): it needs the ${rule.role} role`,
    };
  }
  if (rule.aliasGrant) {
    const target = `${resource.model ?? '?'}@${resource.alias ?? '*'}`;
    if (resource.model === undefined) {
      return { allowed: false, status: 403, reason: `${action} is granted per model, but the request names no model` };
    }
    const granted = principal.grants.some(
      (g) => (g.model === '*' || g.model === resource.model) && (g.alias === '*' || g.alias === resource.alias),
    );
    if (!granted) {
      return {
        allowed: false,
        status: 403,
        reason: `${principal.name} has the ${rule.role} role but no grant to move aliases of ${target}; an admin can grant it`,
      };
    }
  }
  if ('modelGrant' in rule && rule.modelGrant) {
    if (resource.model === undefined) return { allowed: false, status: 403, reason: `${action} is granted per model, but the request names no model` };
    if (!principal.grants.some((g) => g.model === '*' || g.model === resource.model)) {
      return { allowed: false, status: 403, reason: `${principal.name} has the ${rule.role} role but no grant on model ${resource.model}; an admin can grant it` };
    }
  }
  return { allowed: true };
}

/** True when `principal` may do `action` on `resource`. */
export const isAllowed = (principal: Principal | undefined, action: Action, resource?: Resource): boolean =>
  decide(principal, action, resource).allowed;

/**
 * Throws unless `principal` may do `action` on `resource`.
 * @throws AuthenticationError (401) when there is no principal (no or an invalid token);
 * PermissionDeniedError (403) when the role or the model grant is missing.
 */
export function authorize(principal: Principal | undefined, action: Action, resource: Resource = {}): asserts principal is Principal {
  const decision = decide(principal, action, resource);
  if (decision.allowed) return;
  const details = { action, principal: principal?.name ?? null, requiredRole: ACTION_RULES[action].role, ...resource };
  if (decision.status === 401) throw new AuthenticationError(`Not authenticated: ${decision.reason}`, { details });
  throw new PermissionDeniedError(`Permission denied: ${decision.reason}`, { details });
}
