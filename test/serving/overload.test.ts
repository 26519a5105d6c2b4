/**
 * Overload protection: a client (a connection address) over its rate gets 429 (others are
 * unaffected), requests beyond the concurrency limit and its queue get 503 at once, and the
 * server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryModelLoader } from '../../src/serving/model-loader';
import type { ModelServer } from '../../src/serving/model-server';
import { call, callFrom, createServingWorld, flight, startServer, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

let world: ServingWorld;
let server: ModelServer;
let base: string;

beforeAll(async () => {
  world = await createServingWorld();
  const { version } = await world.register('busy', tinyFlightsModel({ bias: 0.3 }));
  // onnxruntime scoring: a proven linear model scored in TypeScript finishes within one event-loop
  // turn, so nothing would ever wait for the one slot.
  const loader = new RegistryModelLoader(world.registry, world.store, { linearScorer: false });
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 20, maxConcurrency: 1, maxQueue: 2, maxQueueWaitMs: 200 }, { loader }));
  expect((await call(base, 'PUT', '/admin/v1/models/busy/deployment', { versions: [{ version, weight: 1 }] })).status).toBe(200);
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

/** A prediction from the loopback address `client` (e.g. 127.0.0.7): clients differ by address. */
const predict = (client: string, rows = 1) => callFrom(client, base, 'POST', '/v1/models/busy/predict', { rows: Array.from({ length: rows }, (_, i) => flight(i)) });

describe('overload protection', () => {
  it('answers 429 to a client over its rate and keeps serving the others', async () => {
    const started = Date.now();
    const greedy = await Promise.all(Array.from({ length: 60 }, () => predict('127.0.0.2')));
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    const statuses = greedy.map((r) => r.status);
    // Requests past the rate limiter may still meet the tiny concurrency limit (503).
    expect(statuses.every((s) => s === 200 || s === 429 || s === 503)).toBe(true);
    // On a busy machine the burst may straddle a few one-second windows; each admits at most 20.
    expect(statuses.filter((s) => s !== 429).length).toBeLessThanOrEqual(20 * windows);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = greedy.find((r) => r.status === 429)!;
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(limited.headers['retry-after']).toBeTruthy();
    expect((await predict('127.0.0.3')).status).toBe(200);
  });

  it('answers 503 beyond the concurrency limit and its queue, and stays up', async () => {
    // 60 clients under their rate each send one large batch at once: one runs, two wait, the rest are shed.
    const burst = await Promise.all(Array.from({ length: 60 }, (_, i) => predict(`127.0.1.${i + 1}`, 500)));
    const statuses = burst.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(burst.find((r) => r.status === 503)!.headers['retry-after']).toBe('1');

    expect((await call(base, 'GET', '/healthz', undefined, { token: null })).status).toBe(200);
    expect((await predict('127.0.0.4')).status).toBe(200);
    const metrics = (await call(base, 'GET', '/metrics', undefined, { token: null })).body as string;
    expect(metrics).toMatch(/slipway_serving_rejected_total\{reason="rate_limited"\} [1-9]\d*/);
    expect(metrics).toMatch(/slipway_serving_rejected_total\{reason="overloaded"\} [1-9]\d*/);
  });
});
