/**
 * Who is calling. The HTTP API, its console and the model server turn a bearer token into a
 * {@link Principal} (roles and per-model alias grants) through an Authenticator; `authorize`
 * then decides per route (see `src/api/authorization.ts`). Normally the access-control store answers; SLIPWAY_API_TOKENS adds
 * bootstrap admin tokens for an installation that has no principals yet.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessControl } from './access-control';
import type { AliasGrant, Principal } from './principal';
import type { Role } from './roles';

export type { Principal } from './principal';

export interface Authenticator {
  /** The principal behind a bearer token, or undefined when the token is missing or unknown. */
  authenticate(token: string | undefined): Promise<Principal | undefined>;
}

/**
 * Admin tokens from configuration (`SLIPWAY_API_TOKENS=name:token,...`), the bootstrap path:
 * each becomes the admin principal `env:<name>` (a `:` no stored principal can have, so the
 * audit log shows the action came from a configured token). Compared by digest in constant
 * time, so response timing does not leak how much of a token matched.
 */
export class StaticTokenAuthenticator implements Authenticator {
  private readonly byDigest: { digest: Buffer; principal: Principal; expiresAt?: Date }[];

  /**
   * @param tokens each with its roles (@default ['admin']), grants (@default []) and optional expiry
   * @param now clock, for tests
   */
  constructor(
    tokens: StaticToken[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.byDigest = tokens.map((t) => ({
      digest: sha256(t.token),
      principal: { name: `env:${t.name}`, roles: t.roles ?? ['admin'], grants: t.grants ?? [] },
      expiresAt: t.expiresAt,
    }));
  }

  async authenticate(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const digest = sha256(token);
    const match = this.byDigest.find((t) => timingSafeEqual(t.digest, digest));
    // An expired token is unknown: it counts as a failed authentication like any other.
    return match && !(match.expiresAt && this.now() >= match.expiresAt) ? match.principal : undefined;
  }
}

/** Tokens from the access-control store first (`slw_…`), then the configured bootstrap tokens. */
export function apiAuthenticator(access: AccessControl, bootstrapTokens: StaticToken[] = []): Authenticator {
  const env = new StaticTokenAuthenticator(bootstrapTokens);
  return {
    async authenticate(token) {
      return (await access.authenticate(token)) ?? (await env.authenticate(token));
    },
  };
}

/** One configured bootstrap token: `name:token`, or `name@YYYY-MM-DD:token` to stop accepting it from that day (UTC). */
export interface StaticToken {
  name: string;
  token: string;
  /** Start of the day (UTC) from which the token is refused. */
  expiresAt?: Date;
  /** @default ['admin'] */
  roles?: Role[];
  /** @default [] */
  grants?: AliasGrant[];
}

/**
 * Parses `name:token,name2@2027-01-31:token2`. Several entries are how a token is rotated: add the
 * new one, move clients over, remove the old one (an expiry date makes the last step automatic).
 * @throws Error naming the entry (never its token) when an expiry is not a date.
 */
export function parseTokenList(value: string | undefined): StaticToken[] {
  if (!value) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.indexOf(':');
      if (i <= 0) return { name: 'default', token: entry };
      const [name, expires] = entry.slice(0, i).split('@');
      if (expires === undefined) return { name, token: entry.slice(i + 1) };
      const expiresAt = new Date(`${expires}T00:00:00Z`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(expiresAt.getTime())) {
        throw new Error(`token "${name}": expiry "${expires}" is not a date such as 2027-01-31`);
      }
      return { name, token: entry.slice(i + 1), expiresAt };
    });
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
