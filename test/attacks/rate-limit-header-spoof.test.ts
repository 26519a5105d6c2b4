/**
 * Attack: escape the rate limit by naming yourself. The per-client limit used to be keyed on
 * the `x-client-id` header, so a caller sending a new value with every request had no limit
 * at all. The model server now keys it on the connection's address (X-Forwarded-For only from
 * proxies it is told to trust, none by default), so invented headers change nothing, and
 * another client (another address) is still served.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callFrom, flight } from '../serving/serving-fixtures';
import { MODEL, useAttackWorld } from './support/trust-serving-world';

const w = useAttackWorld({ env: { SLIPWAY_SERVE_RATE_LIMIT: '20' } });

const predictFrom = (address: string, headers: Record<string, string>) => callFrom(address, w().base, 'POST', `/v1/models/${MODEL}/predict`, { row: flight(900) }, headers);
const requestsServed = async () => ((await w().stats()).versions as { requests: number }[]).reduce((n, v) => n + v.requests, 0);

describe('rate limit keyed on a header the caller invents', () => {
  it('limits a caller that sends a new x-client-id and X-Forwarded-For with every request', async () => {
    const served = await requestsServed();
    const headBefore = await w().auditHead();
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 80 }, (_, i) => predictFrom('127.0.0.2', { 'x-client-id': randomUUID(), 'x-forwarded-for': `198.51.100.${i}` })),
    );
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    const statuses = burst.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // At most 20 a second get through however the caller names itself; the rest are refused fast.
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted).toBeLessThanOrEqual(20 * windows);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(80 - 20 * windows);
    expect(burst.find((r) => r.status === 429)!.headers['retry-after']).toBeTruthy();
    // Refused requests reached no model: only the admitted ones are in the stats.
    expect(await requestsServed()).toBe(served + admitted);
    expect(await w().auditHead()).toEqual(headBefore);
  });

  it('still serves another address while the first one is limited', async () => {
    await Promise.all(Array.from({ length: 30 }, () => predictFrom('127.0.0.3', {})));
    expect((await predictFrom('127.0.0.4', {})).status).toBe(200);
  });
});
