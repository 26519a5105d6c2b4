/**
 * Attack: guess bearer tokens as fast as the server answers (issue 13, item 9). After N unknown
 * tokens from one address within the window, that address gets 429 with Retry-After, and its
 * tokens are not even checked, so guessing stops yielding answers. Callers that authenticate are
 * unaffected: a valid token does not count, and other addresses keep working. Refusals record
 * nothing and change nothing. Both the HTTP API and the model server (admin API and label route).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailureThrottle } from '../../src/auth/auth-throttle';
import { ADMIN_TOKEN, call as serveCall, createServingWorld, startServer, type ServingWorld } from '../serving/serving-fixtures';
import { startStack, type Stack } from './support/trust-input-stack';

/** GET with a bearer token from a given loopback source address (Linux routes all of 127/8 to lo). */
function getFrom(localAddress: string, url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', localAddress, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** POST a JSON body with a bearer token from a given loopback source address; resolves the status and Retry-After. */
function postFrom(localAddress: string, url: string, token: string, body: unknown): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const guess = () => `slw_${randomBytes(24).toString('hex')}`;

describe('attack: brute-forcing bearer tokens', () => {
  describe('the HTTP API', () => {
    let s: Stack;
    beforeAll(async () => {
      s = await startStack({ authThrottle: new AuthFailureThrottle({ maxFailures: 5, windowSeconds: 60 }) });
    });
    afterAll(async () => {
      await s?.close();
    });

    it('answers 401 to the first five guesses, valid calls in between not counting, then 429 with Retry-After', async () => {
      const before = await s.snapshot();
      for (let i = 0; i < 5; i++) {
        expect((await s.call('GET', '/v1/runs', undefined, guess())).status).toBe(401);
        // A caller with a valid token at the same address is not slowed down below the limit.
        if (i < 4) expect((await s.call('GET', '/v1/whoami')).status).toBe(200);
      }
      const blocked = await s.call('GET', '/v1/runs', undefined, guess());
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(blocked.body).toMatchObject({ status: 429, message: expect.stringMatching(/Too many failed authentications from this address; try again in \d+ s/) });
      // Even the right token gets no answer from this address now: the guesser learns nothing.
      expect((await s.call('POST', '/v1/runs', { input: { pipeline: 'flight-delay-builtin' }, idempotencyKey: 'throttled' })).status).toBe(429);
      expect(await s.noWorkflow('flight-delay-builtin-throttled')).toBe(true);
      expect(await s.snapshot()).toEqual(before);
    });

    it('keeps serving callers at other addresses', async () => {
      const url = new URL('/v1/whoami', s.base).toString();
      expect(await getFrom('127.0.0.2', url, s.token)).toBe(200);
      expect(await getFrom('127.0.0.1', url, s.token)).toBe(429);
    });
  });

  describe("the model server's admin API", () => {
    let world: ServingWorld;
    let base: string;
    let close: () => Promise<void>;
    beforeAll(async () => {
      world = await createServingWorld();
      const started = await startServer(world);
      base = started.base;
      close = () => started.server.app.close();
    });
    afterAll(async () => {
      await close?.();
      await world?.close();
    });

    it('throttles after ten unknown tokens (the default), leaving deployments unchanged and other addresses served', async () => {
      const before = await serveCall(base, 'GET', '/admin/v1/deployments');
      for (let i = 0; i < 10; i++) expect((await serveCall(base, 'PUT', '/admin/v1/models/m/deployment', { routes: [] }, { token: guess() })).status).toBe(401);
      const blocked = await serveCall(base, 'GET', '/admin/v1/deployments', undefined, { token: guess() });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await serveCall(base, 'GET', '/admin/v1/deployments')).status).toBe(429);
      const url = new URL('/admin/v1/deployments', base).toString();
      expect(await getFrom('127.0.0.3', url, ADMIN_TOKEN)).toBe(200);
      expect(before.body.deployments).toEqual([]);
      // Predictions are not behind the admin token and are not throttled by it.
      expect((await serveCall(base, 'GET', '/healthz')).status).toBe(200);
    });

    it('counts guesses through the label route too: the same throttle then closes labels and the admin API to that address', async () => {
      const feedback = new URL('/v1/models/m/feedback', base).toString();
      const admin = new URL('/admin/v1/deployments', base).toString();
      for (let i = 0; i < 10; i++) expect((await postFrom('127.0.0.4', feedback, guess(), { requestId: 'r', label: 1 })).status).toBe(401);
      const blocked = await postFrom('127.0.0.4', feedback, guess(), { requestId: 'r', label: 1 });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
      // The guesser cannot move to the admin API either, even with the right token.
      expect(await getFrom('127.0.0.4', admin, ADMIN_TOKEN)).toBe(429);
      // Another address is served.
      expect(await getFrom('127.0.0.5', admin, ADMIN_TOKEN)).toBe(200);
    });
  });
});
