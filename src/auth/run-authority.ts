/**
 * Who a run or a decision acts for, established in the worker from what Temporal delivered:
 * a signed claim (src/auth/signed-claims.ts), the dev principal in local development, or nobody.
 * The claim's roles and grants are refreshed from the access-control store when the principal is
 * stored there, so a revoked grant or a disabled principal stops counting at once.
 */
import type { AccessControl } from './access-control';
import type { Principal } from './principal';
import { ClaimError, inputDigest, verifyClaim, type DecisionVerb, type SignedPrincipal } from './signed-claims';

/** The worker's side of the trust settings (Config.trust). */
export interface TrustSettings {
  signingKey?: string;
  devPrincipal?: string;
  inlineCommandPrincipals: readonly string[];
}

/** A principal the worker can vouch for, and how. */
export interface VerifiedPrincipal {
  principal: Principal;
  via: 'ticket' | 'token' | 'dev';
}

/** A claim that is present but does not hold: refused, never downgraded to "no identity". */
export class UnverifiableIdentityError extends Error {
  override readonly name = 'UnverifiableIdentity';
}

/** The dev principal: an admin, so the Web UI path works end to end in local development. */
export const devPrincipal = (name: string): Principal => Object.freeze({ name, roles: ['admin'] as const, grants: [] });

/**
 * The principal who started the run `workflowId` with `input`, or undefined when the input carries
 * no ticket and no dev principal is configured.
 * @throws UnverifiableIdentityError for a ticket that does not verify, was made for another run or
 * input, has expired, or whose principal is disabled.
 */
export async function runPrincipal(trust: TrustSettings, access: AccessControl | undefined, input: Record<string, unknown>, workflowId: string): Promise<VerifiedPrincipal | undefined> {
  const ticket = input.ticket;
  if (ticket === undefined) return trust.devPrincipal ? { principal: devPrincipal(trust.devPrincipal), via: 'dev' } : undefined;
  if (!trust.signingKey) throw new UnverifiableIdentityError('input.ticket: this worker has no SLIPWAY_RUN_SIGNING_KEY to verify run tickets with');
  const claim = verify(trust.signingKey, ticket, 'input.ticket');
  if (claim.kind !== 'run') throw new UnverifiableIdentityError('input.ticket: not a run ticket');
  const forThisRun = claim.scheduled ? workflowId.startsWith(`${claim.workflowId}-`) : claim.workflowId === workflowId;
  if (!forThisRun) throw new UnverifiableIdentityError(`input.ticket: issued for ${claim.scheduled ? 'the runs of schedule action ' : 'run '}${claim.workflowId}, not ${workflowId}`);
  if (claim.inputDigest !== inputDigest(input)) throw new UnverifiableIdentityError('input.ticket: issued for a different input (the input was changed after signing)');
  return { principal: await refresh(access, claim.principal), via: 'ticket' };
}

export interface DecisionCheck {
  token?: unknown;
  /** The name an unsigned request claims (dev setup only). */
  claimed?: string;
  workflowId: string;
  decision: DecisionVerb;
  /** Required target of the token (a rollback's `model@version`). */
  target?: string;
  /** When the decision was accepted, in Unix seconds; expiry is judged then. @default now */
  atSeconds?: number;
}

/**
 * The principal behind a decision on `workflowId`: the signed decision token's, or the dev
 * principal for an unsigned one in local development.
 * @throws UnverifiableIdentityError when unsigned in production, or the token does not hold.
 */
export async function decisionPrincipal(trust: TrustSettings, access: AccessControl | undefined, check: DecisionCheck): Promise<VerifiedPrincipal> {
  if (check.token === undefined || check.token === null || check.token === '') {
    if (trust.devPrincipal) return { principal: devPrincipal(trust.devPrincipal), via: 'dev' };
    throw new UnverifiableIdentityError(
      `${check.decision} needs a decision token signed by the Slipway API or CLI; decide through \`POST /v1/runs/<id>/${check.decision}\` or \`slipway runs ${check.decision}\` (a name in the request is not an identity)`,
    );
  }
  if (!trust.signingKey) throw new UnverifiableIdentityError('token: this worker has no SLIPWAY_RUN_SIGNING_KEY to verify decision tokens with');
  const claim = verify(trust.signingKey, check.token, 'token', check.atSeconds);
  if (claim.kind !== 'decision') throw new UnverifiableIdentityError('token: not a decision token');
  if (claim.workflowId !== check.workflowId) throw new UnverifiableIdentityError(`token: issued for ${claim.workflowId}, not ${check.workflowId}`);
  if (claim.decision !== check.decision) throw new UnverifiableIdentityError(`token: issued to ${claim.decision}, not to ${check.decision}`);
  if (check.target !== undefined && claim.target !== check.target) throw new UnverifiableIdentityError(`token: issued for ${claim.target ?? 'no target'}, not ${check.target}`);
  return { principal: await refresh(access, claim.principal), via: 'token' };
}

function verify(key: string, token: unknown, field: string, atSeconds?: number) {
  try {
    return verifyClaim(key, token, atSeconds);
  } catch (err) {
    if (err instanceof ClaimError) throw new UnverifiableIdentityError(`${field}: ${err.message}`);
    throw err;
  }
}

/** Current roles and grants of a stored principal; the signed snapshot for `env:`/`local:` ones. */
async function refresh(access: AccessControl | undefined, signed: SignedPrincipal): Promise<Principal> {
  if (!access || signed.name.includes(':')) return Object.freeze({ name: signed.name, roles: signed.roles, grants: signed.grants });
  const stored = await access.getPrincipal(signed.name);
  if (!stored) return Object.freeze({ name: signed.name, roles: signed.roles, grants: signed.grants });
  if (stored.disabledAt) throw new UnverifiableIdentityError(`principal ${signed.name} was disabled at ${stored.disabledAt}`);
  const grants = (await access.listGrants(signed.name)).map((g) => ({ model: g.model, alias: g.alias }));
  return Object.freeze({ name: signed.name, roles: stored.roles, grants });
}
