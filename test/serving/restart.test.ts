/**
 * The model server as a real process: a deployment survives `kill -9` (same versions,
 * weights and revision, and routing keys land where they did), and a version whose
 * artifact was tampered with while the server was down is refused at restart while the
 * others keep serving.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killHard, spawnServer, type ServerProcess } from '../../src/serving/server-process';
import { ADMIN_TOKEN, call, createServingWorld, serverProcessEnv, flight, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

let world: ServingWorld;
let env: Record<string, string>;
const running: ServerProcess[] = [];

beforeAll(async () => {
  world = await createServingWorld();
  env = {
    ...serverProcessEnv(world),
  };
});

afterAll(async () => {
  for (const p of running) await killHard(p);
  await world?.close();
});

async function start(): Promise<ServerProcess> {
  const p = await spawnServer(env);
  running.push(p);
  return p;
}

const KEYS = Array.from({ length: 30 }, (_, i) => `caller-${i}`);
const versionsByKey = async (base: string) =>
  Promise.all(KEYS.map(async (key) => (await call(base, 'POST', '/v1/models/delays/predict', { row: flight(900), routingKey: key }, { token: null })).body.version as number));

describe('model server process', () => {
  it('comes back after kill -9 serving the same split, and refuses an artifact tampered with while it was down', async () => {
    const champion = await world.register('delays', tinyFlightsModel({ bias: -1 }));
    const canary = await world.register('delays', tinyFlightsModel({ bias: 1 }));

    const first = await start();
    const put = await call(first.base, 'PUT', '/admin/v1/models/delays/deployment', { versions: [{ version: champion.version, weight: 70 }, { version: canary.version, weight: 30 }] });
    expect(put.status).toBe(200);
    const before = await versionsByKey(first.base);
    expect(new Set(before)).toEqual(new Set([champion.version, canary.version]));
    await killHard(first);

    const second = await start();
    const restored = await call(second.base, 'GET', '/admin/v1/models/delays/deployment');
    expect(restored.body).toMatchObject({
      revision: put.body.deployment.revision,
      updatedAt: put.body.deployment.updatedAt,
      serving: true,
      versions: [
        { version: champion.version, weight: 70, share: 0.7, state: 'serving' },
        { version: canary.version, weight: 30, share: 0.3, state: 'serving' },
      ],
    });
    expect(await versionsByKey(second.base)).toEqual(before);
    expect((await call(second.base, 'GET', '/readyz', undefined, { token: null })).status).toBe(200);
    await killHard(second);

    const file = join(world.artifactRoot, 'sha256', canary.artifact.sha256.slice(0, 2), canary.artifact.sha256);
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 0x01;
    await chmod(file, 0o644);
    await writeFile(file, bytes);

    const third = await start();
    const ready = await call(third.base, 'GET', '/readyz', undefined, { token: null });
    expect(ready.body.problems).toEqual([expect.objectContaining({ model: 'delays', version: canary.version, error: 'ArtifactIntegrityError' })]);
    const degraded = await call(third.base, 'GET', '/admin/v1/models/delays/deployment');
    expect(degraded.body.versions).toEqual([
      expect.objectContaining({ version: champion.version, state: 'serving', share: 1 }),
      expect.objectContaining({ version: canary.version, state: 'failed', share: 0, failure: expect.objectContaining({ error: 'ArtifactIntegrityError' }) }),
    ]);
    expect(new Set(await versionsByKey(third.base))).toEqual(new Set([champion.version]));
    expect(third.logs.some((l) => l.includes('model version refused'))).toBe(true);
  });
});
