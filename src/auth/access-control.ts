/**
 * Principals, their API tokens and alias grants, stored in the registry's database.
 *
 * Requests are checked in two steps: `authenticate(token)` finds the principal (with its
 * roles and grants), then the pure `authorize(principal, action, resource)` from
 * `authorize.ts` decides. Every change made here is checked against the acting principal
 * (`by`) and written to the audit log in the same transaction.
 */
import type { AliasGrant, Principal } from './principal';
import type { Role } from './roles';

/** Where a change came from and why, for the audit log. */
export interface ActionContext {
  /** e.g. `api 10.0.0.7`, `cli`. @default 'unspecified' */
  origin?: string;
  reason?: string;
}

export interface PrincipalInfo {
  name: string;
  roles: Role[];
  /** ISO 8601. */
  createdAt: string;
  createdBy: string;
  /** Set when disabled: its tokens stop working. */
  disabledAt: string | null;
}

/** A token as listed: never the secret nor its hash. */
export interface TokenInfo {
  id: string;
  principal: string;
  label: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** A newly created token. `token` is the only copy of the secret: show it once. */
export interface IssuedToken {
  token: string;
  info: TokenInfo;
}

export interface GrantInfo extends AliasGrant {
  principal: string;
  grantedAt: string;
  grantedBy: string;
}

export interface CreateTokenInput {
  principal: string;
  /** What the token is for, e.g. `ci` or `alice laptop`. */
  label: string;
  /** ISO 8601; absent: never expires. */
  expiresAt?: string;
}

export interface GrantInput {
  principal: string;
  /** A model name, or `*` for every model. */
  model: string;
  /** An alias name, or `*` for every alias. @default '*' */
  alias?: string;
}

export interface AccessControl {
  /**
   * The principal a bearer token belongs to, or undefined when the token is missing,
   * malformed, unknown, revoked, expired, or its principal is disabled (answer 401).
   */
  authenticate(bearerToken: string | undefined): Promise<Principal | undefined>;

  /**
   * Creates the first admin and a token for it. Only works on a database with no principals,
   * so it cannot be used to take over an installation.
   * @throws AccessControlError `conflict` when principals already exist.
   */
  bootstrap(input: { admin: string; label?: string }, context?: ActionContext): Promise<IssuedToken>;

  /**
   * Creates a principal or replaces its roles (admin only). Refuses to leave no enabled admin.
   * @throws PermissionDeniedError; AccessControlError `invalid-input` / `conflict`.
   */
  setPrincipal(input: { name: string; roles: Role[] }, by: Principal, context?: ActionContext): Promise<PrincipalInfo>;

  /** Disables a principal so all its tokens stop working (admin only). */
  disablePrincipal(name: string, by: Principal, context?: ActionContext): Promise<PrincipalInfo>;

  getPrincipal(name: string): Promise<PrincipalInfo | undefined>;
  listPrincipals(): Promise<PrincipalInfo[]>;

  /** Creates a token for an existing, enabled principal (admin only). */
  createToken(input: CreateTokenInput, by: Principal, context?: ActionContext): Promise<IssuedToken>;

  /** Revokes a token (admin only); revoking a revoked token returns it unchanged. */
  revokeToken(id: string, by: Principal, context?: ActionContext): Promise<TokenInfo>;

  /** Tokens, newest first, optionally of one principal. */
  listTokens(principal?: string): Promise<TokenInfo[]>;

  /** Allows a principal to move aliases of a model (admin only); idempotent. */
  grant(input: GrantInput, by: Principal, context?: ActionContext): Promise<GrantInfo>;

  /** Removes a grant (admin only); false when there was none. */
  revokeGrant(input: GrantInput, by: Principal, context?: ActionContext): Promise<boolean>;

  listGrants(principal?: string): Promise<GrantInfo[]>;
}
