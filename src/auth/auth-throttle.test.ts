import { describe, expect, it } from 'vitest';
import { AuthFailureThrottle } from './auth-throttle';

describe('AuthFailureThrottle', () => {
  it('blocks an address after maxFailures in the window, until the window ends', () => {
    let t = 0;
    const throttle = new AuthFailureThrottle({ maxFailures: 3, windowSeconds: 60, now: () => t });
    for (let i = 0; i < 3; i++) {
      expect(throttle.blockedFor('10.0.0.1')).toBeUndefined();
      throttle.recordFailure('10.0.0.1');
    }
    expect(throttle.blockedFor('10.0.0.1')).toBe(60);
    expect(throttle.blockedFor('10.0.0.2')).toBeUndefined();
    t = 45_500;
    expect(throttle.blockedFor('10.0.0.1')).toBe(15);
    t = 60_000;
    expect(throttle.blockedFor('10.0.0.1')).toBeUndefined();
  });

  it('tracks a bounded number of addresses, forgetting the oldest first', () => {
    const throttle = new AuthFailureThrottle({ maxFailures: 1, windowSeconds: 60, maxClients: 2, now: () => 0 });
    for (const ip of ['a', 'b', 'c']) throttle.recordFailure(ip);
    expect(throttle.blockedFor('a')).toBeUndefined();
    expect(throttle.blockedFor('c')).toBe(60);
  });
});
