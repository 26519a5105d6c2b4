import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { createRegistry, openGovernance } from './create-registry';
import { move, registerVersions } from '../../test/support/registry-test-fixtures';
import { BACKENDS, testPostgresUrl } from '../../test/support/test-backends';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('choosing the registry backend from config', () => {
  it('uses the SQLite file when SLIPWAY_REGISTRY_URL is unset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-factory-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
    const config = loadConfig({ SLIPWAY_REGISTRY_PATH: join(dir, 'r.sqlite') });
    expect(config.registryUrl).toBeUndefined();
    const registry = await createRegistry(config);
    cleanups.push(() => registry.close());
    expect(registry.db.dialect).toBe('sqlite');
  });

  it.skipIf(BACKENDS.find((b) => b.name === 'postgres')?.skip)('uses PostgreSQL when SLIPWAY_REGISTRY_URL is set, with registry, access control and audit on one database', async () => {
    const url = testPostgresUrl();
    const schema = `t_factory_${randomBytes(4).toString('hex')}`;
    cleanups.push(async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });
    const config = loadConfig({ SLIPWAY_REGISTRY_URL: url });
    expect(config.registryUrl).toBe(url);
    const governance = await openGovernance(config, { schema });
    cleanups.push(() => governance.close());

    expect(governance.backend).toBe('postgres');
    await registerVersions(governance.registry, 1);
    await governance.registry.setAlias(move());
    const { token } = await governance.access.bootstrap({ admin: 'root' });
    expect((await governance.access.authenticate(token))?.name).toBe('root');
    expect((await governance.audit.list()).map((e) => e.action)).toEqual(['version.register', 'alias.move', 'principal.change', 'token.create']);
    expect((await governance.audit.verify()).ok).toBe(true);
  });

  it('rejects a SLIPWAY_REGISTRY_URL that is not a PostgreSQL URL, without echoing it', () => {
    const err = (() => {
      try {
        loadConfig({ SLIPWAY_REGISTRY_URL: 'mysql://u:secret@h/db' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain('SLIPWAY_REGISTRY_URL');
    expect(err?.message).not.toContain('secret');
  });
});
