import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../errors';
import { MIGRATIONS } from './migrations';
import type { RegistryErrorKind } from './model-registry';
import { isRegistryError } from './registry-error';
import { artifact, move, registration, registerVersions } from './registry-test-fixtures';
import { SqliteModelRegistry } from './sqlite-registry';

let dir: string;
let dbPath: string;
const open: SqliteModelRegistry[] = [];

/** A registry on the test's database file, with a clock that ticks one second per call. */
function openRegistry(): SqliteModelRegistry {
  let tick = 0;
  const registry = new SqliteModelRegistry({ path: dbPath, now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)) });
  open.push(registry);
  return registry;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-registry-'));
  dbPath = join(dir, 'registry.db');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  await rm(dir, { recursive: true, force: true });
});

async function registryErrorOf(promise: Promise<unknown>, kind: RegistryErrorKind): Promise<RegistryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  expect((err as RegistryError).details.kind).toBe(kind);
  return err as RegistryError;
}

describe('SqliteModelRegistry', () => {
  describe('registering versions', () => {
    it('numbers versions 1, 2, 3 per model and returns everything that was registered', async () => {
      const registry = openRegistry();
      const first = await registry.registerVersion(registration());
      const second = await registry.registerVersion(registration({ idempotencyKey: 'wf-2/register', tags: { team: 'growth' } }));
      const other = await registry.registerVersion(registration({ model: 'fraud', idempotencyKey: 'wf-3/register' }));

      expect([first.version, second.version, other.version]).toEqual([1, 2, 1]);
      expect(first).toEqual({
        model: 'churn',
        version: 1,
        artifact: artifact('aa'),
        metrics: { auc: 0.91, logloss: 0.32 },
        params: { maxDepth: 6, learningRate: 0.1 },
        lineage: registration().lineage,
        tags: {},
        description: null,
        createdAt: '2025-01-01T00:00:00.000Z',
        idempotencyKey: 'wf-1/register',
      });
      expect(second.tags).toEqual({ team: 'growth' });
      expect(await registry.getVersion('churn', 2)).toEqual(second);
      expect((await registry.listVersions('churn')).map((v) => v.version)).toEqual([1, 2]);
    });

    it('returns the existing version when the same idempotency key is registered again', async () => {
      const registry = openRegistry();
      const original = await registry.registerVersion(registration());
      const retried = await registry.registerVersion(registration({ artifact: artifact('bb'), metrics: { auc: 0.5 } }));

      expect(retried).toEqual(original);
      expect(await registry.listVersions('churn')).toHaveLength(1);
    });

    it('scopes idempotency keys to their model', async () => {
      const registry = openRegistry();
      await registry.registerVersion(registration({ model: 'churn' }));
      const other = await registry.registerVersion(registration({ model: 'fraud' }));
      expect(other.model).toBe('fraud');
      expect((await registry.listModels()).map((m) => m.model)).toEqual(['churn', 'fraud']);
    });

    it('reports unknown models and versions as absent rather than failing', async () => {
      const registry = openRegistry();
      await registry.registerVersion(registration());
      expect(await registry.getVersion('churn', 2)).toBeUndefined();
      expect(await registry.getVersion('nope', 1)).toBeUndefined();
      expect(await registry.listVersions('nope')).toEqual([]);
      expect(await registry.getAlias('churn', 'champion')).toBeUndefined();
    });

    it.each([
      ['a NaN metric', { metrics: { auc: Number.NaN } }, 'metrics.auc must be a finite number, got NaN'],
      ['an empty model name', { model: ' ' }, 'model must be a non-empty string'],
      ['a missing lineage field', { lineage: { ...registration().lineage, dataDigest: undefined as unknown as string } }, 'lineage.dataDigest'],
      ['a non-string tag', { tags: { team: 7 as unknown as string } }, 'tags.team must be a string'],
    ])('rejects %s, naming the field', async (_label, overrides, message) => {
      const registry = openRegistry();
      const err = await registryErrorOf(registry.registerVersion(registration(overrides)), 'invalid-input');
      expect(err.message).toContain(message);
      expect(await registry.listModels()).toEqual([]);
    });

  });

  describe('listing models', () => {
    it('summarises each model with its latest version and current aliases', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 2);
      await registry.setAlias(move({ version: 2 }));
      await registry.registerVersion(registration({ model: 'fraud', idempotencyKey: 'f-1' }));

      expect(await registry.listModels()).toEqual([
        { model: 'churn', createdAt: '2025-01-01T00:00:00.000Z', latestVersion: 2, aliases: { champion: 2 } },
        { model: 'fraud', createdAt: expect.any(String), latestVersion: 1, aliases: {} },
      ]);
    });
  });

  describe('moving aliases', () => {
    it('sets an unset alias when the caller expected it unset, and resolves it', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 1);
      const moved = await registry.setAlias(move({ evidence: { auc: 0.91 }, idempotencyKey: 'wf-1/promote' }));

      expect(moved).toEqual({
        model: 'churn',
        alias: 'champion',
        fromVersion: null,
        toVersion: 1,
        actor: 'alice',
        reason: 'first model',
        evidence: { auc: 0.91 },
        at: expect.stringMatching(/^2025-01-01T00:00:\d\d\.000Z$/),
        idempotencyKey: 'wf-1/promote',
      });
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe(1);
    });

    it('moves an alias when it is still at the expected version', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 2);
      await registry.setAlias(move());
      const moved = await registry.setAlias(move({ version: 2, expectedVersion: 1 }));
      expect([moved.fromVersion, moved.toVersion]).toEqual([1, 2]);
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe(2);
    });

    it('refuses the move when the alias is no longer where the caller last saw it', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 3);
      await registry.setAlias(move({ version: 2 }));

      const err = await registryErrorOf(registry.setAlias(move({ version: 3, expectedVersion: null })), 'stale-alias');
      expect(err.message).toContain('churn@champion points to version 2, not nothing as expected');
      expect(err.details).toMatchObject({ expectedVersion: null, actualVersion: 2 });
      await registryErrorOf(registry.setAlias(move({ version: 3, expectedVersion: 1 })), 'stale-alias');
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe(2);
      expect(await registry.aliasHistory('churn')).toHaveLength(1);
    });

    it('returns the recorded move when a move is retried with the same idempotency key', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 3);
      const first = await registry.setAlias(move({ idempotencyKey: 'wf-9/promote' }));
      await registry.setAlias(move({ version: 2, expectedVersion: 1 })); // someone moves it on

      const retried = await registry.setAlias(move({ idempotencyKey: 'wf-9/promote' }));

      expect(retried).toEqual(first);
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe(2);
      expect(await registry.aliasHistory('churn')).toHaveLength(2);
    });

    it('refuses to reuse an idempotency key for a different move', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 2);
      await registry.setAlias(move({ idempotencyKey: 'k' }));
      await registryErrorOf(registry.setAlias(move({ version: 2, expectedVersion: 1, idempotencyKey: 'k' })), 'idempotency-conflict');
    });

    it('rejects unknown versions and models without touching the alias', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 2);
      const err = await registryErrorOf(registry.setAlias(move({ version: 3 })), 'unknown-version');
      expect(err.message).toBe('Model churn has no version 3; its versions are 1 to 2');
      await registryErrorOf(registry.setAlias(move({ model: 'ghost' })), 'unknown-model');
      await registryErrorOf(registry.setAlias(move({ version: 0 })), 'invalid-input');
      expect(await registry.getAlias('churn', 'champion')).toBeUndefined();
      expect(await registry.aliasHistory('churn')).toEqual([]);
    });

    it('keeps every move in order, across aliases, and filters by alias', async () => {
      const registry = openRegistry();
      await registerVersions(registry, 3);
      await registry.setAlias(move({ alias: 'champion', version: 1, actor: 'a' }));
      await registry.setAlias(move({ alias: 'staging', version: 2, actor: 'b' }));
      await registry.setAlias(move({ alias: 'champion', version: 2, expectedVersion: 1, actor: 'c' }));
      await registry.setAlias(move({ alias: 'champion', version: 3, expectedVersion: 2, actor: 'd', reason: 'canary passed' }));

      const all = await registry.aliasHistory('churn');
      expect(all.map((m) => [m.actor, m.alias, m.fromVersion, m.toVersion])).toEqual([
        ['a', 'champion', null, 1],
        ['b', 'staging', null, 2],
        ['c', 'champion', 1, 2],
        ['d', 'champion', 2, 3],
      ]);
      expect(all.map((m) => m.at)).toEqual([...all.map((m) => m.at)].sort());
      expect((await registry.aliasHistory('churn', 'champion')).map((m) => m.actor)).toEqual(['a', 'c', 'd']);
      expect(await registry.aliasHistory('fraud')).toEqual([]);
    });
  });

  describe('storage', () => {
    it('keeps versions, aliases and history across reopening the file', async () => {
      const first = openRegistry();
      await registerVersions(first, 1);
      await first.setAlias(move());
      await first.close();

      const reopened = openRegistry();
      expect((await reopened.getAlias('churn', 'champion'))?.version).toBe(1);
      expect(await reopened.aliasHistory('churn')).toHaveLength(1);
    });

    it('uses WAL and applies each migration once', async () => {
      openRegistry();
      openRegistry();
      const db = new Database(dbPath, { readonly: true });
      try {
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(
          MIGRATIONS.map((m) => m.version),
        );
      } finally {
        db.close();
      }
    });

    it('refuses a database whose schema is newer than this code', async () => {
      openRegistry();
      const db = new Database(dbPath);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
      db.close();
      const err = (() => {
        try {
          openRegistry();
        } catch (e) {
          return e;
        }
      })();
      expect(isRegistryError(err, 'schema-too-new')).toBe(true);
    });

    it('works in memory', async () => {
      const registry = new SqliteModelRegistry({ path: ':memory:' });
      open.push(registry);
      expect((await registry.registerVersion(registration())).version).toBe(1);
    });

    it('numbers migrations 1, 2, 3 with no gaps', () => {
      expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    });
  });
});
