import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { weakSecretReason } from './secret-strength';

describe('weakSecretReason', () => {
  it.each([
    ['the old example value', 'change-me-too', /13 characters; at least 32/],
    ['a long placeholder', 'change-me-to-a-long-random-token', /contains "change"/],
    ['one repeated character', 'a'.repeat(40), /repeats one short block/],
    ['a repeated block', 'a1b2c3d4'.repeat(5), /repeats one short block/],
    ['a run of consecutive characters', 'abcdefghijklmnopqrstuvwxyz0123456789', /consecutive characters/],
    ['a low-entropy value', 'xqxxqxqqxxqxqxxqqxqxxqxqxxqqxqxxqq', /entropy is \d+ bits/],
  ])('refuses %s', (_name, value, reason) => {
    expect(weakSecretReason(value)).toMatch(reason);
  });

  it('accepts what `openssl rand -hex 32` and `-base64 32` produce, every time', () => {
    for (let i = 0; i < 2000; i++) {
      expect(weakSecretReason(randomBytes(32).toString('hex'))).toBeUndefined();
      expect(weakSecretReason(randomBytes(32).toString('base64'))).toBeUndefined();
    }
  });
});

describe('static secrets in the configuration', () => {
  const strong = randomBytes(32).toString('hex');

  it('refuses a weak API token at startup, naming the entry and how to generate one, never echoing the token', () => {
    const attempt = () => loadConfig({ SLIPWAY_API_TOKENS: `ops:${strong},ci:change-me-too` });
    expect(attempt).toThrow(/SLIPWAY_API_TOKENS: token "ci" is too weak: it has 13 characters; at least 32 are required; generate one with `openssl rand -hex 32`/);
    expect(attempt).not.toThrow(/change-me-too/);
  });

  it('refuses a weak model-server admin token, in either place of a rotation pair', () => {
    expect(() => loadConfig({ SLIPWAY_SERVE_ADMIN_TOKEN: `${strong},short` })).toThrow(/SLIPWAY_SERVE_ADMIN_TOKEN: token 2 is too weak/);
  });

  it('accepts a rotation: two API tokens, one with an expiry date; two admin tokens, workers send the first', () => {
    const next = randomBytes(32).toString('hex');
    const config = loadConfig({ SLIPWAY_API_TOKENS: `old@2027-01-31:${strong},new:${next}`, SLIPWAY_SERVE_ADMIN_TOKEN: `${next},${strong}` });
    expect(config.serve.adminToken).toBe(next);
    expect(config.serve.adminTokens).toEqual([next, strong]);
  });

  it('refuses an expiry that is not a date', () => {
    expect(() => loadConfig({ SLIPWAY_API_TOKENS: `old@soon:${strong}` })).toThrow(/token "old": expiry "soon" is not a date such as 2027-01-31/);
  });
});
