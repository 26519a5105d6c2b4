/**
 * Failed-authentication throttling per client address, for the HTTP API and the model server's
 * admin API: after `maxFailures` unknown tokens from one address within `windowSeconds`, that
 * address is answered 429 (with Retry-After) until the window ends, without its tokens being
 * checked, so guessing gets no answer at all. Valid tokens never count, and a missing token is
 * not a guess (health probes, browsers), so callers that authenticate are never slowed down
 * unless they share an address with someone guessing.
 *
 * Memory is bounded: at most `maxClients` addresses are tracked; beyond that the oldest window
 * is forgotten first (a flood of addresses cannot grow the map).
 */

export interface AuthThrottleOptions {
  /** Unknown tokens allowed per address and window. @default 10 */
  maxFailures: number;
  /** Length of the window, from the first failure. @default 60 */
  windowSeconds: number;
  /** Addresses tracked at once. @default 10000 */
  maxClients?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

export const AUTH_THROTTLE_DEFAULTS = { maxFailures: 10, windowSeconds: 60 } as const;

interface Window {
  startedAt: number;
  failures: number;
}

export class AuthFailureThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(private readonly options: AuthThrottleOptions = AUTH_THROTTLE_DEFAULTS) {
    this.maxClients = options.maxClients ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until `client` may try again, or undefined when it may authenticate now. */
  blockedFor(client: string): number | undefined {
    const w = this.current(client);
    if (!w || w.failures < this.options.maxFailures) return undefined;
    return Math.max(1, Math.ceil((w.startedAt + this.options.windowSeconds * 1000 - this.now()) / 1000));
  }

  /** Records an unknown token from `client`. */
  recordFailure(client: string): void {
    const w = this.current(client);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxClients) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  private current(client: string): Window | undefined {
    const w = this.windows.get(client);
    if (w && this.now() - w.startedAt >= this.options.windowSeconds * 1000) {
      this.windows.delete(client);
      return undefined;
    }
    return w;
  }
}
