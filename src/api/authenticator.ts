/**
 * Who is calling. The API turns a bearer token into a {@link Principal} (roles and per-model
 * alias grants) through an Authenticator; `authorize` then decides per route (see
 * `authorization.ts`). Normally the access-control store answers; SLIPWAY_API_TOKENS adds
 * bootstrap admin tokens for an installation that has no principals yet.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessControl } from '../auth/access-control';
import type { AliasGrant, Principal } from '../auth/principal';
import type { Role } from '../auth/roles';

export type { Principal } from '../auth/principal';

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
  private readonly byDigest: { digest: Buffer; principal: Principal }[];

  /** @param tokens each with its roles and grants; @default roles ['admin'], grants [] */
  constructor(tokens: { name: string; token: string; roles?: Role[]; grants?: AliasGrant[] }[]) {
    this.byDigest = tokens.map((t) => ({ digest: sha256(t.token), principal: { name: `env:${t.name}`, roles: t.roles ?? ['admin'], grants: t.grants ?? [] } }));
  }

  async authenticate(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const digest = sha256(token);
    return this.byDigest.find((t) => timingSafeEqual(t.digest, digest))?.principal;
  }
}

/** Tokens from the access-control store first (`slw_…`), then the configured bootstrap tokens. */
export function apiAuthenticator(access: AccessControl, bootstrapTokens: { name: string; token: string; roles?: Role[]; grants?: AliasGrant[] }[] = []): Authenticator {
  const env = new StaticTokenAuthenticator(bootstrapTokens);
  return {
    async authenticate(token) {
      return (await access.authenticate(token)) ?? (await env.authenticate(token));
    },
  };
}

/** Parses `name:token,name2:token2`. */
export function parseTokenList(value: string | undefined): { name: string; token: string }[] {
  if (!value) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.indexOf(':');
      return i > 0 ? { name: entry.slice(0, i), token: entry.slice(i + 1) } : { name: 'default', token: entry };
    });
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
