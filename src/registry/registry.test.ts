import { describe, expect, it } from 'vitest';
import { SqlAuditLog } from '../audit/sql-audit-log';
import { RegistryError } from '../errors';
import { MIGRATIONS } from '../governance-db/migrations';
import type { RegistryErrorKind } from './model-registry';
import { isRegistryError } from './registry-error';
import { artifact, move, registration, registerVersions } from '../../test/support/registry-test-fixtures';
import { SqlModelRegistry } from './sql-model-registry';
import { describeEachBackend, useTestStore } from '../../test/support/test-backends';

async function registryErrorOf(promise: Promise<unknown>, kind: RegistryErrorKind): Promise<RegistryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  expect((err as RegistryError).details.kind).toBe(kind);
  return err as RegistryError;
}

describeEachBackend('model registry', (backend) => {
  const store = useTestStore(backend);

  /** A registry on the test's store, with a clock that ticks one second per call. */
  async function openRegistry(): Promise<SqlModelRegistry> {
    let tick = 0;
    return new SqlModelRegistry(await store().open(), { now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)) });
  }

  describe('registering versions', () => {
    it('numbers versions 1, 2, 3 per model and returns everything that was registered', async () => {
      const registry = await openRegistry();
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

    it('returns the existing version when the same idempotency key is registered again, writing nothing', async () => {
      const registry = await openRegistry();
      const original = await registry.registerVersion(registration());
      const retried = await registry.registerVersion(registration({ artifact: artifact('bb'), metrics: { auc: 0.5 } }));

      expect(retried).toEqual(original);
      expect(await registry.listVersions('churn')).toHaveLength(1);
      expect((await new SqlAuditLog(registry.db).list()).map((e) => e.action)).toEqual(['version.register']);
    });

    it('scopes idempotency keys to their model', async () => {
      const registry = await openRegistry();
      await registry.registerVersion(registration({ model: 'churn' }));
      const other = await registry.registerVersion(registration({ model: 'fraud' }));
      expect(other.model).toBe('fraud');
      expect((await registry.listModels()).map((m) => m.model)).toEqual(['churn', 'fraud']);
    });

    it('reports unknown models and versions as absent rather than failing', async () => {
      const registry = await openRegistry();
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
      const registry = await openRegistry();
      const err = await registryErrorOf(registry.registerVersion(registration(overrides)), 'invalid-input');
      expect(err.message).toContain(message);
      expect(await registry.listModels()).toEqual([]);
    });

    it('audits each registration as its workflow, in the same transaction', async () => {
      const registry = await openRegistry();
      await registerVersions(registry, 2);
      const entries = await new SqlAuditLog(registry.db).list();
      expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
        ['version.register', 'workflow:wf-1', 'model:churn/v1'],
        ['version.register', 'workflow:wf-1', 'model:churn/v2'],
      ]);
    });
  });

  describe('listing models', () => {
    it('summarises each model with its latest version and current aliases', async () => {
      const registry = await openRegistry();
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
      const registry = await openRegistry();
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
      const registry = await openRegistry();
      await registerVersions(registry, 2);
      await registry.setAlias(move());
      const moved = await registry.setAlias(move({ version: 2, expectedVersion: 1 }));
      expect([moved.fromVersion, moved.toVersion]).toEqual([1, 2]);
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe(2);
    });

    it('refuses the move when the alias is no longer where the caller last saw it', async () => {
      const registry = await openRegistry();
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
      const registry = await openRegistry();
      await registerVersions(registry, 3);
      const first = await registry.setAlias(move({ idempotencyKey: 'wf-9/promote' }));
      await registry.setAlias(move({ version: 2, expectedVersion: 1 })); // someone moves it on

      const retried = await registry.setAlias(move({ idempotencyKey: 'wf-9/promote' }));

      expect(retried).toEqual(first);
      expect((await registry.getAlias('churn', 'champion'))?.version).toBe(2);
      expect(await registry.aliasHistory('churn')).toHaveLength(2);
    });

    it('refuses to reuse an idempotency key for a different move', async () => {
      const registry = await openRegistry();
      await registerVersions(registry, 2);
      await registry.setAlias(move({ idempotencyKey: 'k' }));
      await registryErrorOf(registry.setAlias(move({ version: 2, expectedVersion: 1, idempotencyKey: 'k' })), 'idempotency-conflict');
    });

    it('rejects unknown versions and models without touching the alias', async () => {
      const registry = await openRegistry();
      await registerVersions(registry, 2);
      const err = await registryErrorOf(registry.setAlias(move({ version: 3 })), 'unknown-version');
      expect(err.message).toBe('Model churn has no version 3; its versions are 1 to 2');
      await registryErrorOf(registry.setAlias(move({ model: 'ghost' })), 'unknown-model');
      await registryErrorOf(registry.setAlias(move({ version: 0 })), 'invalid-input');
      expect(await registry.getAlias('churn', 'champion')).toBeUndefined();
      expect(await registry.aliasHistory('churn')).toEqual([]);
    });

    it('keeps every move in order, across aliases, and filters by alias', async () => {
      const registry = await openRegistry();
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

    it('writes an audit entry with actor, reason, origin and evidence for every move, and none for a refused one', async () => {
      const registry = await openRegistry();
      await registerVersions(registry, 2);
      await registry.setAlias(move({ actor: 'workflow:wf-7', origin: 'workflow:wf-7', auditAction: 'model.promote', evidence: { report: 'artifact://sha256/ab' } }));
      await registryErrorOf(registry.setAlias(move({ version: 2, expectedVersion: null })), 'stale-alias');
      await registry.setAlias(move({ version: 1, expectedVersion: 1, actor: 'bob', reason: 'hold', idempotencyKey: 'k1' }));
      await registry.setAlias(move({ version: 1, expectedVersion: 1, actor: 'bob', reason: 'hold', idempotencyKey: 'k1' })); // replay

      const audit = new SqlAuditLog(registry.db);
      const moves = await audit.list({ targetPrefix: 'model:churn@' });
      expect(moves.map((e) => ({ action: e.action, actor: e.actor, target: e.target, reason: e.reason, origin: e.origin, details: e.details }))).toEqual([
        {
          action: 'model.promote',
          actor: 'workflow:wf-7',
          target: 'model:churn@champion',
          reason: 'first model',
          origin: 'workflow:wf-7',
          details: { model: 'churn', alias: 'champion', fromVersion: null, toVersion: 1, evidence: { report: 'artifact://sha256/ab' }, idempotencyKey: null },
        },
        {
          action: 'alias.move',
          actor: 'bob',
          target: 'model:churn@champion',
          reason: 'hold',
          origin: 'unspecified',
          details: { model: 'churn', alias: 'champion', fromVersion: 1, toVersion: 1, evidence: {}, idempotencyKey: 'k1' },
        },
      ]);
      expect((await audit.verify()).ok).toBe(true);
    });

    it('refuses to edit or delete alias history, even with direct SQL', async () => {
      const registry = await openRegistry();
      await registerVersions(registry, 1);
      await registry.setAlias(move());
      await expect(store().raw("UPDATE alias_moves SET actor = 'mallory'")).rejects.toThrow(/append-only/);
      await expect(store().raw('DELETE FROM alias_moves')).rejects.toThrow(/append-only/);
      expect((await registry.aliasHistory('churn'))[0].actor).toBe('alice');
    });
  });

  describe('annotating versions', () => {
    it('sets and removes tags and edits the description, keeping everything else', async () => {
      const registry = await openRegistry();
      const original = await registry.registerVersion(registration({ tags: { team: 'growth', stage: 'beta' }, description: 'first cut' }));

      const edited = await registry.annotateVersion({
        model: 'churn',
        version: 1,
        setTags: { owner: 'alice', stage: 'ga' },
        removeTags: ['team', 'absent'],
        description: 'churn model, GA',
        actor: 'alice',
        reason: 'launch',
      });

      expect(edited).toEqual({ ...original, tags: { stage: 'ga', owner: 'alice' }, description: 'churn model, GA' });
      expect(await registry.getVersion('churn', 1)).toEqual(edited);
      const cleared = await registry.annotateVersion({ model: 'churn', version: 1, description: null, actor: 'alice' });
      expect(cleared.description).toBeNull();
      expect(cleared.tags).toEqual(edited.tags);
      const audit = await new SqlAuditLog(registry.db).list({ action: 'version.annotate' });
      expect(audit.map((e) => [e.actor, e.target, e.reason])).toEqual([
        ['alice', 'model:churn/v1', 'launch'],
        ['alice', 'model:churn/v1', ''],
      ]);
    });

    it('keeps both edits when two writers change different tags at once', async () => {
      await registerVersions(await openRegistry(), 1);
      const [a, b] = [await openRegistry(), await openRegistry()];
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).annotateVersion({ model: 'churn', version: 1, setTags: { [`k${i}`]: String(i) }, actor: `w${i}` }),
        ),
      );
      expect(Object.keys((await a.getVersion('churn', 1))!.tags).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
    });

    it('rejects unknown versions and bad input', async () => {
      const registry = await openRegistry();
      await registerVersions(registry, 1);
      await registryErrorOf(registry.annotateVersion({ model: 'churn', version: 2, actor: 'a' }), 'unknown-version');
      await registryErrorOf(registry.annotateVersion({ model: 'ghost', version: 1, actor: 'a' }), 'unknown-model');
      await registryErrorOf(registry.annotateVersion({ model: 'churn', version: 1, setTags: { x: 1 as unknown as string }, actor: 'a' }), 'invalid-input');
      await registryErrorOf(registry.annotateVersion({ model: 'churn', version: 1, actor: '' }), 'invalid-input');
    });

    it.each([
      [{ setTags: { 'bad key': 'x' } }, 'setTags key must be a tag key'],
      [{ setTags: { '-lead': 'x' } }, 'setTags key must be a tag key'],
      [{ setTags: { ['k'.repeat(129)]: 'x' } }, 'setTags key must be a tag key'],
      [{ setTags: { note: 'x'.repeat(5001) } }, 'setTags.note must be at most 5000 characters'],
      [{ setTags: { note: 'two\nlines' } }, 'setTags.note must be text without control characters'],
      [{ removeTags: ['no spaces'] }, 'removeTags[0] must be a tag key'],
    ])('refuses the tag edit %j, naming the field, and changes nothing', async (edit, message) => {
      const registry = await openRegistry();
      await registry.registerVersion(registration({ tags: { team: 'growth' } }));
      const before = await new SqlAuditLog(registry.db).head();
      const err = await registryErrorOf(registry.annotateVersion({ model: 'churn', version: 1, actor: 'a', ...edit }), 'invalid-input');
      expect(err.message).toContain(message);
      expect((await registry.getVersion('churn', 1))!.tags).toEqual({ team: 'growth' });
      expect(await new SqlAuditLog(registry.db).head()).toEqual(before);
    });

    it('takes keys MLflow users write (dots, slashes, colons) and values with tabs', async () => {
      const registry = await openRegistry();
      await registerVersions(registry, 1);
      const tags = { 'mlflow.note': 'a\tb', 'team/owner': 'alice', 'k8s:ns': 'ml', [`k${'x'.repeat(127)}`]: 'v'.repeat(5000) };
      expect((await registry.annotateVersion({ model: 'churn', version: 1, setTags: tags, actor: 'a' })).tags).toEqual(tags);
    });
  });

  describe('storage', () => {
    it('keeps versions, aliases and history across reconnecting', async () => {
      const first = await openRegistry();
      await registerVersions(first, 1);
      await first.setAlias(move());
      await first.close();

      const reopened = await openRegistry();
      expect((await reopened.getAlias('churn', 'champion'))?.version).toBe(1);
      expect(await reopened.aliasHistory('churn')).toHaveLength(1);
    });

    it('applies each migration once, however often the database is opened', async () => {
      await openRegistry();
      const db = await store().open();
      expect((await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version)).toEqual(
        MIGRATIONS.map((m) => m.version),
      );
    });

    it('refuses a database whose schema is newer than this code', async () => {
      await openRegistry();
      await store().raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')");
      const err = await store()
        .open()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isRegistryError(err, 'schema-too-new')).toBe(true);
    });
  });
});

describe('migrations', () => {
  // Versions are reserved per change while several are developed in parallel, so one may land
  // before a lower one; each still applies exactly once, whatever the order.
  it('are numbered from 1, strictly increasing', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions[0]).toBe(1);
    expect(versions.every((v, i) => i === 0 || v > versions[i - 1])).toBe(true);
  });
});
