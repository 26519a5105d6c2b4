import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rollbackAlias } from './rollback';
import { SqliteModelRegistry } from './sqlite-registry';

const artifact = (n: number) => ({ uri: `artifact://sha256/${String(n).repeat(64).slice(0, 64)}`, sha256: String(n).repeat(64).slice(0, 64), bytes: 10, name: 'model', mediaType: 'application/onnx' });
const lineage = { dataDigest: 'd', specDigest: 's', workflowId: 'w', runId: 'r', pipeline: 'p', trainer: 't' };

describe('rollbackAlias', () => {
  let dir: string;
  let registry: SqliteModelRegistry;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-rollback-'));
    registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
    for (const n of [1, 2, 3]) {
      await registry.registerVersion({ model: 'm', idempotencyKey: `k${n}`, artifact: artifact(n), metrics: { auc: 0.6 + n / 100 }, params: {}, lineage });
    }
    await registry.setAlias({ model: 'm', alias: 'champion', version: 2, expectedVersion: null, actor: 'pipeline', reason: 'blessed' });
    await registry.setAlias({ model: 'm', alias: 'champion', version: 3, expectedVersion: 2, actor: 'pipeline', reason: 'blessed' });
  });
  afterEach(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('moves the champion back to any earlier version and records who and why', async () => {
    const move = await rollbackAlias(registry, { model: 'm', toVersion: 1, actor: 'carol', reason: 'v3 degraded live AUC', origin: 'cli' });
    expect(move).toMatchObject({ fromVersion: 3, toVersion: 1, actor: 'carol', reason: 'v3 degraded live AUC' });
    expect((await registry.getAlias('m', 'champion'))?.version).toBe(1);
    expect((await registry.aliasHistory('m', 'champion')).map((m) => m.toVersion)).toEqual([2, 3, 1]);
  });

  it.each([
    [{ toVersion: 7 }, 'model "m" has no version 7 (versions: v1, v2, v3)'],
    [{ toVersion: 3 }, '"champion" of "m" already points to v3'],
    [{ toVersion: 1, model: 'nope' }, 'model "nope" has no "champion" to roll back'],
  ])('refuses %j with a clear message and moves nothing', async (patch, message) => {
    await expect(rollbackAlias(registry, { model: 'm', actor: 'carol', reason: 'x', ...patch })).rejects.toThrow(message);
    expect((await registry.getAlias('m', 'champion'))?.version).toBe(3);
  });
});
