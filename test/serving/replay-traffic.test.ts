/**
 * The replay tool against a real server: real flights with the ingest step's features,
 * sent at a rate, labels posted as feedback, live accuracy matching the model's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelServer } from '../../src/serving/model-server';
import { loadFlightTraffic, replayTraffic } from '../../tools/replay-traffic';
import { call, createServingWorld, LABELER_TOKEN, startServer, tinyFlightsModel, tinyScore, type ServingWorld } from './serving-fixtures';

const WEIGHTS = { bias: -1.2, distance: 0.3, ord: 0.8 };

let world: ServingWorld;
let server: ModelServer;
let base: string;

beforeAll(async () => {
  world = await createServingWorld();
  const { version } = await world.register('flights', tinyFlightsModel(WEIGHTS));
  ({ server, base } = await startServer(world));
  await call(base, 'PUT', '/admin/v1/models/flights/deployment', { versions: [{ version, weight: 1 }] });
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

describe('replayTraffic', () => {
  it('replays held-out flights at a rate and their labels become the live accuracy', async () => {
    const traffic = await loadFlightTraffic({ from: '2001-06-01', to: '2001-06-02', limit: 300 });
    expect(traffic.rows).toHaveLength(300);
    expect(Object.keys(traffic.rows[0]).sort()).toEqual(['destination', 'distance', 'hour', 'month', 'origin', 'weekday']);
    expect(traffic.rows.every((r) => r.month === 6)).toBe(true);

    const report = await replayTraffic({ baseUrl: base, model: 'flights', traffic, rate: 300, feedbackDelayMs: 50, labelerToken: LABELER_TOKEN, callers: 20 });
    expect(report).toMatchObject({ sent: 300, statuses: { 200: 300 }, versions: { 1: 300 }, feedback: { sent: 300, statuses: { 200: 300 } } });
    expect(report.achievedRate).toBeGreaterThan(50);
    expect(report.latencyMs!.p99).toBeGreaterThan(0);

    const stats = await call(base, 'GET', '/admin/v1/models/flights/stats');
    const expected = traffic.rows.filter((r, i) => (tinyScore(WEIGHTS, r as { distance: number; origin: string }) >= 0.5 ? 1 : 0) === traffic.labels[i]).length / 300;
    expect(stats.body.versions[0].feedback.labels).toBe(300);
    expect(stats.body.versions[0].feedback.positives).toBe(traffic.labels.filter((y) => y === 1).length);
    expect(stats.body.versions[0].feedback.accuracy).toBeCloseTo(expected, 6);
  });
});
