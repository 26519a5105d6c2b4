/**
 * Attack: exhaust the model server's memory through what it remembers. The feedback ledger
 * was bounded by entry count only (200,000 entries of up to 1,000 scores each: ~0.8 GB), and
 * the scores of micro-batched requests were views keeping the whole batch's buffer alive.
 * Now the ledger and the per-version stats are bounded in bytes, and each remembered request
 * owns a copy of just its own scores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionStatsBytes } from '../../src/serving/live-stats';
import type { ModelServer } from '../../src/serving/model-server';
import { call, createServingWorld, flight, LABELER_TOKEN, startServer, tinyFlightsModel, type ServingWorld } from '../serving/serving-fixtures';

const LEDGER_BYTES = 256 * 1024;
const STATS = { retentionSeconds: 60, labelWindow: 1000 };

let world: ServingWorld;
let server: ModelServer;
let base: string;
const versions: number[] = [];

beforeAll(async () => {
  world = await createServingWorld();
  for (const bias of [0.1, 0.2, 0.3]) versions.push((await world.register('big', tinyFlightsModel({ bias, distance: 1 }))).version);
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0, feedbackMaxBytes: LEDGER_BYTES, statsRetentionSeconds: STATS.retentionSeconds, labelWindow: STATS.labelWindow, statsMaxBytes: 2 * versionStatsBytes(STATS) }));
  expect((await call(base, 'PUT', '/admin/v1/models/big/deployment', { versions: [{ version: versions[0], weight: 1 }] })).status).toBe(200);
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

const batch = Array.from({ length: 1000 }, (_, i) => flight(200 + i));
const predict = async (rows: unknown[]) => {
  const res = await call(base, 'POST', '/v1/models/big/predict', { rows }, { token: null });
  expect(res.status).toBe(200);
  return res.body.requestId as string;
};

describe('memory an attacker can make the server keep', () => {
  it('bounds the feedback ledger in bytes: 1,000-row requests push the oldest out long before the entry cap', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await predict(batch));
    // 100 requests × 4 KB of scores would be ~440 KB; the ledger keeps under its 256 KiB.
    expect(server.ledger.bytes).toBeLessThanOrEqual(LEDGER_BYTES);
    expect(server.ledger.size).toBeLessThan(100);
    expect(server.ledger.size).toBeGreaterThan(40);
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 2) as 0 | 1);
    const oldest = await call(base, 'POST', '/v1/models/big/feedback', { requestId: ids[0], labels }, { token: LABELER_TOKEN });
    expect(oldest.status).toBe(404);
    expect((await call(base, 'POST', '/v1/models/big/feedback', { requestId: ids[99], labels }, { token: LABELER_TOKEN })).status).toBe(200);
  });

  it('keeps each micro-batched request’s own scores, not a view of the shared batch buffer', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => predict([flight(300 + i)])));
    const records = ids.map((id) => server.ledger.get(id)!);
    expect(records.every((r) => r.scores.length === 1 && r.scores.buffer.byteLength === 4)).toBe(true);
  });

  it('bounds the per-version stats in bytes, dropping the least recently active version', async () => {
    for (const version of versions) {
      expect((await call(base, 'PUT', '/admin/v1/models/big/deployment', { versions: [{ version, weight: 1 }] })).status).toBe(200);
      await predict([flight(500)]);
    }
    expect(server.stats.size).toBe(2);
    expect(server.stats.reservedBytes).toBeLessThanOrEqual(2 * versionStatsBytes(STATS));
    expect(server.stats.versions('big')).toEqual(versions.slice(1));
  });
});
