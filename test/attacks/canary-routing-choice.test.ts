/**
 * Attack: choose the canary. The routing hash is public code, so on a plain hash a caller can
 * compute offline which routing keys land in the canary's slice and send all its traffic
 * there (to skew the canary's stats, or to label only the canary's answers). The model
 * server hashes keys with HMAC under a secret salt made per deployment: keys computed from
 * the public hash land on the canary at the base rate, and the salt never leaves the server
 * (not in admin answers; the state file holding it is private to the server's user).
 */
import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { unitHash } from '../../src/serving/routing';
import { call, flight } from '../serving/serving-fixtures';
import { MODEL, useAttackWorld } from './support/trust-serving-world';

// Champion first, canary second: the canary owns [0.9, 1) of the hash space.
const w = useAttackWorld({ weights: [90, 10] });

describe('choosing the canary by routing key', () => {
  it('lands keys computed from the public hash on the canary only at its share', async () => {
    const chosen = Array.from({ length: 20_000 }, (_, i) => `attacker-${i}`)
      .filter((k) => unitHash(k) >= 0.9)
      .slice(0, 60);
    expect(chosen).toHaveLength(60);
    const deploymentBefore = (await w().deployment()).body;
    const answered = await Promise.all(chosen.map((routingKey) => call(w().base, 'POST', `/v1/models/${MODEL}/predict`, { row: flight(900), routingKey }, { token: null })));
    expect(answered.every((r) => r.status === 200)).toBe(true);
    const onCanary = answered.filter((r) => r.body.version === w().canary).length;
    // Expected 6 of 60 at a 10% share; a plain hash would send all 60 there.
    expect(onCanary).toBeLessThan(21);
    // The same key stays on one version (stickiness is kept, only unpredictable).
    const again = await call(w().base, 'POST', `/v1/models/${MODEL}/predict`, { row: flight(900), routingKey: chosen[0] }, { token: null });
    expect(again.body.version).toBe(answered[0].body.version);
    expect((await w().deployment()).body).toEqual(deploymentBefore);
  });

  it('keeps the salt secret: not in any admin answer, and in a state file only the server user can read', async () => {
    const state = JSON.parse(await readFile(w().world.statePath, 'utf8')) as { deployments: { model: string; routingSalt?: string }[] };
    const salt = state.deployments.find((d) => d.model === MODEL)?.routingSalt;
    expect(salt).toMatch(/^[0-9a-f]{32}$/);
    expect((await stat(w().world.statePath)).mode & 0o077).toBe(0);
    for (const path of ['/admin/v1/deployments', `/admin/v1/models/${MODEL}/deployment`, `/admin/v1/models/${MODEL}/stats`]) {
      const res = await call(w().base, 'GET', path, undefined, { token: w().tokens.vera });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(salt);
    }
  });
});
