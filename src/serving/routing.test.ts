import { describe, expect, it } from 'vitest';
import { createRouter, newRoutingSalt, saltedUnitHash, unitHash } from './routing';

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

describe('createRouter', () => {
  it('sends a routing key to the same version every time', () => {
    const router = createRouter([{ version: 1, weight: 50 }, { version: 2, weight: 50 }]);
    for (const key of keys.slice(0, 100)) expect(new Set(Array.from({ length: 5 }, () => router.pick(key))).size).toBe(1);
  });

  it.each([
    [90, 10],
    [50, 50],
    [75, 25],
  ])('splits keys %i/%i within a percent', (a, b) => {
    const router = createRouter([{ version: 1, weight: a }, { version: 2, weight: b }]);
    const share = keys.filter((k) => router.pick(k) === 2).length / keys.length;
    expect(Math.abs(share - b / (a + b))).toBeLessThan(0.01);
  });

  it('splits keyless requests by the random draw', () => {
    const draws = [0.05, 0.5, 0.89, 0.9, 0.99];
    let i = 0;
    const router = createRouter([{ version: 3, weight: 9 }, { version: 7, weight: 1 }], () => draws[i++]);
    expect(draws.map(() => router.pick())).toEqual([3, 3, 3, 7, 7]);
  });

  it('only moves callers from champion to canary when the canary weight grows', () => {
    const before = createRouter([{ version: 1, weight: 90 }, { version: 2, weight: 10 }]);
    const after = createRouter([{ version: 1, weight: 50 }, { version: 2, weight: 50 }]);
    expect(keys.filter((k) => before.pick(k) === 2 && after.pick(k) !== 2)).toEqual([]);
  });

  it('never routes to a version of weight 0 and refuses all-zero weights', () => {
    const router = createRouter([{ version: 1, weight: 0 }, { version: 2, weight: 1 }]);
    expect(new Set(keys.slice(0, 500).map((k) => router.pick(k)))).toEqual(new Set([2]));
    expect(() => createRouter([{ version: 1, weight: 0 }])).toThrow(RangeError);
  });
});

describe('unitHash', () => {
  it('is stable across releases (fixed values) and lies in [0, 1)', () => {
    expect(unitHash('alice')).toBe(unitHash('alice'));
    expect(unitHash('')).toBeGreaterThanOrEqual(0);
    expect(keys.every((k) => unitHash(k) >= 0 && unitHash(k) < 1)).toBe(true);
    expect([unitHash('alice'), unitHash('bob')].map((x) => x.toFixed(6))).toMatchInlineSnapshot(`
      [
        "0.914380",
        "0.974013",
      ]
    `);
  });
});

describe('salted routing', () => {
  it('places keys by a secret salt: the same salt agrees, another salt (or none) disagrees, and the split holds', () => {
    const weights = [{ version: 1, weight: 90 }, { version: 2, weight: 10 }];
    const salt = newRoutingSalt();
    const salted = createRouter(weights, Math.random, salt);
    const again = createRouter(weights, Math.random, salt);
    const other = createRouter(weights, Math.random, newRoutingSalt());
    const onCanary = keys.filter((k) => salted.pick(k) === 2);
    expect(keys.every((k) => salted.pick(k) === again.pick(k))).toBe(true);
    expect(Math.abs(onCanary.length / keys.length - 0.1)).toBeLessThan(0.01);
    // A key chosen from the public hash (or another deployment) lands on the canary only at the base rate.
    const publicCanaryKeys = keys.filter((k) => createRouter(weights).pick(k) === 2);
    expect(publicCanaryKeys.filter((k) => salted.pick(k) === 2).length / publicCanaryKeys.length).toBeLessThan(0.2);
    expect(onCanary.filter((k) => other.pick(k) === 2).length / onCanary.length).toBeLessThan(0.2);
    expect(keys.every((k) => saltedUnitHash(salt, k) >= 0 && saltedUnitHash(salt, k) < 1)).toBe(true);
  });
});
