/**
 * Bearer authentication for the model server's label and prediction routes under the same
 * failed-authentication throttle as its admin API (src/auth/auth-throttle.ts). Without it a
 * guesser the admin API answers 429 could go on guessing through `/feedback`, which checks the
 * same tokens.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator';
import type { AuthFailureThrottle } from '../../auth/auth-throttle';
import type { Principal } from '../../auth/principal';
import { bearerToken } from '../../auth/tokens';
import { problem } from './problem';

/**
 * The request's principal (undefined: no token, or an unknown one, which then counts as a failure
 * for the request's address). Answers 429 with Retry-After itself, without checking the token,
 * while the address is throttled; it then returns `blocked` and the caller returns the reply.
 */
export async function throttledAuthenticate(
  auth: Authenticator,
  throttle: AuthFailureThrottle | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<{ blocked: true } | { blocked: false; principal?: Principal }> {
  const retryAfter = throttle?.blockedFor(request.ip);
  if (retryAfter !== undefined) {
    reply
      .status(429)
      .header('retry-after', String(retryAfter))
      .send(problem(429, 'Too Many Requests', `Too many failed authentications from this address; try again in ${retryAfter} s`));
    return { blocked: true };
  }
  const token = bearerToken(request.headers.authorization);
  const principal = token ? await auth.authenticate(token) : undefined;
  if (token && !principal) throttle?.recordFailure(request.ip);
  return { blocked: false, principal };
}
