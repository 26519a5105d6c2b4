/**
 * Who is calling. The API asks an Authenticator to turn a bearer token into a principal;
 * role checks (viewer, operator, approver, admin) come with the governance module.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface Principal {
  id: string;
  roles: string[];
}

export interface Authenticator {
  /** The principal behind a bearer token, or undefined when the token is unknown. */
  authenticate(token: string): Promise<Principal | undefined>;
}

/**
 * Tokens from configuration (`SLIPWAY_API_TOKENS=name:token,...`). Compared by digest in
 * constant time, so response timing does not leak how much of a token matched.
 */
export class StaticTokenAuthenticator implements Authenticator {
  private readonly byDigest: { digest: Buffer; principal: Principal }[];

  constructor(tokens: { name: string; token: string; roles?: string[] }[]) {
    this.byDigest = tokens.map((t) => ({ digest: sha256(t.token), principal: { id: t.name, roles: t.roles ?? ['admin'] } }));
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const digest = sha256(token);
    return this.byDigest.find((t) => timingSafeEqual(t.digest, digest))?.principal;
  }
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
