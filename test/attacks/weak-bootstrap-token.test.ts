/**
 * Attack: guess a weak static secret (issue 13, item 9). The example value `change-me-too`, short
 * tokens and placeholders are refused when the API and the model server start, with a message
 * that names the variable and the entry and says how to generate a token, never the token; the
 * refused process writes nothing. A rotation (an expired old token beside a new one) works on the
 * real API process: the new token is accepted, the expired one is not.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../helpers/temporal-env';
import { freePort, startEntryPoint, waitForHttp } from './support/trust-input-process';

describe('attack: weak bootstrap secrets', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;

  beforeAll(async () => {
    env = await startDevServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-attack-tokens-'));
  });
  afterAll(async () => {
    await env?.teardown();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const common = (dataDir: string, port: number) => ({
    TEMPORAL_ADDRESS: env.address,
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_API_PORT: String(port),
    SLIPWAY_SERVE_PORT: String(port),
  });

  it.each([
    ['the API with the old example token', 'src/api/main.ts', { SLIPWAY_API_TOKENS: 'admin:change-me-too' }, /SLIPWAY_API_TOKENS: token "admin" is too weak: it has 13 characters; at least 32 are required; generate one with `openssl rand -hex 32`/, 'change-me-too'],
    ['the API with a long placeholder', 'src/api/main.ts', { SLIPWAY_API_TOKENS: 'ci:replace-this-with-a-long-random-value' }, /token "ci" is too weak: it contains "replace"/, 'replace-this'],
    ['the model server with the old example admin token', 'src/serving/main.ts', { SLIPWAY_SERVE_ADMIN_TOKEN: 'change-me-to-a-long-random-token' }, /SLIPWAY_SERVE_ADMIN_TOKEN: token 1 is too weak: it contains "change"/, 'change-me-to'],
  ])('refuses to start %s, naming the variable, and writes nothing', async (_name, entry, secrets, message, value) => {
    const dataDir = await mkdtemp(path.join(dir, 'data-'));
    const port = await freePort();
    const proc = startEntryPoint(entry, { ...common(dataDir, port), ...secrets });
    try {
      expect(await proc.exited(30_000)).toBe(1);
      expect(proc.output()).toMatch(message);
      expect(proc.output()).not.toContain(value);
      expect(await readdir(dataDir)).toEqual([]);
      expect(await fetch(`http://127.0.0.1:${port}/healthz`).then(() => 'answered', () => 'nothing listening')).toBe('nothing listening');
    } finally {
      await proc.stop();
    }
  });

  it('rotates: the new token is accepted, the expired old one is refused like an unknown token', async () => {
    const dataDir = await mkdtemp(path.join(dir, 'data-'));
    const port = await freePort();
    const [old, next] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const proc = startEntryPoint('src/api/main.ts', { ...common(dataDir, port), SLIPWAY_API_TOKENS: `old@2001-01-01:${old},new:${next}` });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      const whoami = (token: string) => fetch(`http://127.0.0.1:${port}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
      const accepted = await whoami(next);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toMatchObject({ name: 'env:new' });
      expect((await whoami(old)).status).toBe(401);
      expect(proc.output()).toMatch(/these tokens have expired and are refused; remove them/);
    } finally {
      await proc.stop();
    }
  });
});
