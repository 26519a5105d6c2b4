import { expect, it } from 'vitest';
import { SqlAuditLog } from '../audit/sql-audit-log';
import { isRegistryError } from './registry-error';
import { move, registration, registerVersions } from '../../test/support/registry-test-fixtures';
import { SqlModelRegistry } from './sql-model-registry';
import { describeEachBackend, useTestStore } from '../../test/support/test-backends';

// Each writer has its own connection (PostgreSQL: its own pool and server sessions), as two
// workers, the API and a pipeline would. Separate processes on SQLite: sqlite-registry.concurrency.test.ts.
describeEachBackend('model registry under concurrent writers', (backend) => {
  const store = useTestStore(backend);

  async function writers(n: number): Promise<SqlModelRegistry[]> {
    return Promise.all(Array.from({ length: n }, async () => new SqlModelRegistry(await store().open())));
  }

  it('lets exactly one of several promotions from the same expected version win', async () => {
    const [setup, ...racers] = await writers(7);
    await registerVersions(setup, 6);

    const results = await Promise.allSettled(racers.map((r, i) => r.setAlias(move({ version: i + 1, actor: `w${i}` }))));

    const winners = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<SqlModelRegistry['setAlias']>>> => r.status === 'fulfilled');
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers.every((l) => isRegistryError(l.reason, 'stale-alias'))).toBe(true);
    const history = await setup.aliasHistory('churn', 'champion');
    expect(history.map((m) => m.actor)).toEqual([winners[0].value.actor]);
    expect((await setup.getAlias('churn', 'champion'))?.version).toBe(winners[0].value.toVersion);
    expect(await new SqlAuditLog(setup.db).list({ action: 'alias.move' })).toHaveLength(1);
  });

  it('keeps an unbroken alias history, fully audited, while several writers keep promoting', async () => {
    const [setup, ...racers] = await writers(5);
    await registerVersions(setup, 6);

    // Read-then-move in a loop: the pattern a promotion follows, under contention.
    const wins = await Promise.all(
      racers.map(async (registry, w) => {
        let won = 0;
        for (let i = 0; i < 15; i++) {
          const current = (await registry.getAlias('churn', 'champion'))?.version ?? null;
          try {
            const moved = await registry.setAlias(move({ version: ((current ?? 0) % 6) + 1, expectedVersion: current, actor: `w${w}` }));
            expect(moved.fromVersion).toBe(current);
            won++;
          } catch (err) {
            if (!isRegistryError(err, 'stale-alias')) throw err;
          }
        }
        return won;
      }),
    );

    const total = wins.reduce((a, b) => a + b, 0);
    const history = await setup.aliasHistory('churn', 'champion');
    expect(history).toHaveLength(total);
    expect(history[0].fromVersion).toBeNull();
    history.slice(1).forEach((m, i) => expect(m.fromVersion).toBe(history[i].toVersion));
    expect((await setup.getAlias('churn', 'champion'))?.version).toBe(history[history.length - 1].toVersion);

    const audit = new SqlAuditLog(setup.db);
    const moves = await audit.list({ action: 'alias.move', limit: 1000 });
    expect(moves.map((e) => [e.actor, e.details.fromVersion, e.details.toVersion])).toEqual(history.map((m) => [m.actor, m.fromVersion, m.toVersion]));
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 6 + total });
  });

  it('records a move once when its retries race each other', async () => {
    const [setup, ...retries] = await writers(4);
    await registerVersions(setup, 2);
    const moves = await Promise.all(retries.map((r) => r.setAlias(move({ idempotencyKey: 'wf-1/promote' }))));
    expect(new Set(moves.map((m) => JSON.stringify(m))).size).toBe(1);
    expect(await setup.aliasHistory('churn')).toHaveLength(1);
  });

  it('gives every version a distinct number when several writers register at once', async () => {
    const racers = await writers(6);
    await Promise.all(racers.map((r, i) => r.registerVersion(registration({ idempotencyKey: `wf-${i}/register` }))));
    expect((await racers[0].listVersions('churn')).map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await new SqlAuditLog(racers[0].db).verify()).toMatchObject({ ok: true, checked: 6 });
  });
});
