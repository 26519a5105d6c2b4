/**
 * Signed claims: how a principal authenticated by the API or CLI travels through Temporal to the
 * worker. A claim is `<base64url(JSON)>.<base64url(HMAC-SHA256)>` under SLIPWAY_RUN_SIGNING_KEY,
 * a key the API, CLI and workers share and Temporal never sees. Whoever can reach Temporal can
 * start workflows and send updates, but cannot mint a claim, so cannot pass for a person.
 *
 * Two kinds:
 * - `run`: who started a run, bound to its workflow id and the digest of its input (so a ticket
 *   copied from one run's history into another input is refused), short-lived.
 * - `decision`: who approves, rejects or aborts, bound to the workflow id and the decision.
 *
 * A claim carries the principal's roles and grants as the signer authenticated them; the
 * verifier refreshes them from the access-control store when it can (revocations count).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../artifacts/canonical-json';
import type { AliasGrant, Principal } from './principal';
import type { Role } from './roles';

/** Who, as signed: name, roles and grants when the claim was minted. */
export interface SignedPrincipal {
  name: string;
  roles: Role[];
  grants: AliasGrant[];
}

export interface RunClaim {
  kind: 'run';
  principal: SignedPrincipal;
  workflowId: string;
  /** sha256 of the canonical JSON of the workflow input without its `ticket`. */
  inputDigest: string;
  /** A schedule's ticket: valid for every run the schedule starts (`<workflowId>-<time>`), signed for its owner. */
  scheduled?: true;
  /** Unix seconds. */
  expiresAt: number;
}

export type DecisionVerb = 'approve' | 'reject' | 'abort' | 'rollback';

export interface DecisionClaim {
  kind: 'decision';
  principal: SignedPrincipal;
  workflowId: string;
  decision: DecisionVerb;
  /** What the decision is about when the workflow id alone does not say (a rollback's `model@version`). */
  target?: string;
  expiresAt: number;
}

export type Claim = RunClaim | DecisionClaim;

/** Run tickets are checked when the run resolves, seconds after the start. */
export const RUN_TICKET_SECONDS = 15 * 60;
/** Decision tokens are checked by the update handler at once. */
export const DECISION_TOKEN_SECONDS = 5 * 60;

/** Why a claim was refused; the message names the reason, never the key. */
export class ClaimError extends Error {
  override readonly name = 'ClaimError';
}

export const signedPrincipal = (p: Principal): SignedPrincipal => ({ name: p.name, roles: [...p.roles], grants: p.grants.map((g) => ({ model: g.model, alias: g.alias })) });

export function signClaim(key: string, claim: Claim): string {
  const body = Buffer.from(canonicalJson(claim)).toString('base64url');
  return `${body}.${mac(key, body)}`;
}

/**
 * The claim inside `token` when its signature is valid and it has not expired.
 * @throws ClaimError otherwise.
 */
export function verifyClaim(key: string, token: unknown, nowSeconds = Date.now() / 1000): Claim {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(token)) throw new ClaimError('not a signed Slipway claim');
  const [body, sig] = token.split('.');
  const expected = Buffer.from(mac(key, body));
  if (!timingSafeEqual(expected, Buffer.from(sig))) throw new ClaimError('signature does not verify (wrong SLIPWAY_RUN_SIGNING_KEY, or altered)');
  let claim: Claim;
  try {
    claim = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claim;
  } catch {
    throw new ClaimError('claim body is not JSON');
  }
  if (typeof claim.expiresAt !== 'number' || claim.expiresAt < nowSeconds) throw new ClaimError(`claim expired at ${new Date((claim.expiresAt ?? 0) * 1000).toISOString()}`);
  return claim;
}

/** The digest a run ticket covers: the input as started, without the ticket itself. */
export function inputDigest(input: Record<string, unknown>): string {
  const { ticket: _ticket, ...rest } = input;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** A run ticket for `principal` starting `workflowId` with `input`. */
export function runTicket(key: string, principal: Principal, workflowId: string, input: Record<string, unknown>, nowSeconds = Date.now() / 1000): string {
  return signClaim(key, { kind: 'run', principal: signedPrincipal(principal), workflowId, inputDigest: inputDigest(input), expiresAt: Math.floor(nowSeconds) + RUN_TICKET_SECONDS });
}

/** Schedules start runs for a year without their owner; re-create the schedule to renew. Revocations count at once (store refresh). */
export const SCHEDULE_TICKET_SECONDS = 365 * 24 * 3600;

/** A ticket for the runs of a schedule whose action starts `workflowIdBase` with `input`, owned by `principal`. */
export function scheduleTicket(key: string, principal: Principal, workflowIdBase: string, input: Record<string, unknown>, nowSeconds = Date.now() / 1000): string {
  return signClaim(key, { kind: 'run', scheduled: true, principal: signedPrincipal(principal), workflowId: workflowIdBase, inputDigest: inputDigest(input), expiresAt: Math.floor(nowSeconds) + SCHEDULE_TICKET_SECONDS });
}

/** A decision token for `principal` deciding `decision` on `workflowId`. */
export function decisionToken(key: string, principal: Principal, workflowId: string, decision: DecisionVerb, target?: string, nowSeconds = Date.now() / 1000): string {
  return signClaim(key, { kind: 'decision', principal: signedPrincipal(principal), workflowId, decision, ...(target ? { target } : {}), expiresAt: Math.floor(nowSeconds) + DECISION_TOKEN_SECONDS });
}

function mac(key: string, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
