/**
 * Console sign-in: the API token the user pastes is kept in an httpOnly, SameSite=strict
 * cookie scoped to /ui (never in a URL, never readable by scripts), and every form that acts
 * carries a CSRF token derived from it. The CSRF token is an HMAC of the session token under a
 * per-process key, so it needs no storage, cannot be forged without the cookie, and a token
 * taken from one session is useless in another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'slipway_session';
/** Sessions last a working day; the token itself may be revoked sooner. */
const MAX_AGE_SECONDS = 12 * 3600;

export class ConsoleSessions {
  private readonly key: Buffer;

  /** @param key CSRF key; @default 32 random bytes (forms from before a restart must be reloaded) */
  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  /** The API token in the request's session cookie, or undefined. */
  token(request: FastifyRequest): string | undefined {
    return parseCookies(request.headers.cookie)[SESSION_COOKIE] || undefined;
  }

  signIn(reply: FastifyReply, request: FastifyRequest, token: string): void {
    reply.header('set-cookie', cookie(SESSION_COOKIE, token, MAX_AGE_SECONDS, isHttps(request)));
  }

  signOut(reply: FastifyReply, request: FastifyRequest): void {
    reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0, isHttps(request)));
  }

  /** The CSRF token forms of this session carry; empty without a session (insecure mode uses a fixed marker). */
  csrf(request: FastifyRequest): string {
    return createHmac('sha256', this.key).update(this.token(request) ?? 'no-session').digest('base64url');
  }

  /** True when `given` is this session's CSRF token. */
  checkCsrf(request: FastifyRequest, given: unknown): boolean {
    if (typeof given !== 'string') return false;
    const expected = Buffer.from(this.csrf(request));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

/** True when the browser says the request comes from this same host (or says nothing: non-browser clients). */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function cookie(name: string, value: string, maxAge: number, secure: boolean): string {
  return `${name}=${encodeURIComponent(value)}; Path=/ui; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

const isHttps = (request: FastifyRequest): boolean => request.protocol === 'https';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A malformed cookie is ignored, as if absent.
    }
  }
  return out;
}
