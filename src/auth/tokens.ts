/**
 * API tokens: 32 random bytes, shown once, stored only as their sha256.
 *
 * A fast hash is enough because the secret is not a password: 256 random bits cannot be
 * guessed or brute-forced from a leaked hash, whatever the hash speed. A slow KDF (scrypt,
 * argon2) protects low-entropy secrets and would cost tens of milliseconds on every API
 * request; a plain sha256 also lets the database find the token by an indexed equality lookup.
 */
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'slw_';
/** 32 bytes in base64url is 43 characters. */
const TOKEN = /^slw_[A-Za-z0-9_-]{43}$/;

/** A new token: the plaintext (give it to the user, then forget it), its id and its hash. */
export interface GeneratedToken {
  token: string;
  /** Public identifier for listings, revocation and the audit log. */
  id: string;
  hash: string;
}

export function generateToken(): GeneratedToken {
  // The prefix makes leaked tokens easy to find with secret scanners.
  const token = PREFIX + randomBytes(32).toString('base64url');
  return { token, id: `tok_${randomBytes(8).toString('hex')}`, hash: hashToken(token) };
}

/** sha256 of the token, hex; the only form in which a token is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `value` has the shape of a Slipway token (so junk never reaches the database). */
export const looksLikeToken = (value: unknown): value is string => typeof value === 'string' && TOKEN.test(value);

/** The token in an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
