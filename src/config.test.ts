import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

const SECRETS = {
  SLIPWAY_REGISTRY_URL: 'postgres://slipway:registry-password@db:5432/slipway',
  SLIPWAY_API_TOKENS: 'ops:3f9a1c7e5b2d48a6e0c1f3b7d9a2e4c6f8b0d2a4',
  SLIPWAY_TOKEN: 'slw_cli-token-secret',
  SLIPWAY_SERVE_ADMIN_TOKEN: '9c4e2a7f1b3d5e8a0c6f2b4d7e9a1c3f5b8d0e2a',
};
const env = { ...SECRETS, SLIPWAY_CODE_VERSION: 'abc123', TEMPORAL_ADDRESS: 'localhost:7233' };

describe('config', () => {
  it('reads SLIPWAY_CODE_VERSION into codeVersion', () => {
    expect(loadConfig(env).codeVersion).toBe('abc123');
    expect(loadConfig({}).codeVersion).toBeUndefined();
    // deploy/env.example leaves it empty for the build to fill.
    expect(loadConfig({ SLIPWAY_CODE_VERSION: '' }).codeVersion).toBeUndefined();
  });

  it('refuses a quarantine retention under an hour, naming the variable (`1m` meant as a month is a minute)', () => {
    expect(() => loadConfig({ SLIPWAY_QUARANTINE_RETENTION: '1m' })).toThrow(/SLIPWAY_QUARANTINE_RETENTION.*"1m" is shorter than the shortest allowed, 1h/s);
    expect(loadConfig({ SLIPWAY_QUARANTINE_RETENTION: '1h' }).quarantine.retentionMs).toBe(3_600_000);
    expect(loadConfig({}).quarantine.retention).toBe('30d');
  });

  it('hands secrets to code that asks for them', () => {
    const config = loadConfig(env);
    expect(config.registryUrl).toBe(SECRETS.SLIPWAY_REGISTRY_URL);
    expect(config.api.tokens).toBe(SECRETS.SLIPWAY_API_TOKENS);
    expect(config.api.cliToken).toBe(SECRETS.SLIPWAY_TOKEN);
    expect(config.serve.adminToken).toBe(SECRETS.SLIPWAY_SERVE_ADMIN_TOKEN);
  });

  it('never shows a secret when the config is serialised, inspected or logged whole', () => {
    const config = loadConfig(env);
    let logged = '';
    const log = pino(new Writable({ write: (chunk, _enc, done) => ((logged += String(chunk)), done()) }));
    log.info({ config }, 'config');
    log.info({ api: config.api, serve: config.serve }, 'parts');
    for (const text of [JSON.stringify(config), inspect(config, { depth: 5 }), logged]) {
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
      expect(text).toContain('abc123');
    }
  });
});
