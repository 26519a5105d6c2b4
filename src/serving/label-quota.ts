/**
 * Per-source label quota, a token bucket per authenticated label source: up to `perMinute`
 * labels at once, refilled at `perMinute` a minute. A leaked or misbehaving labeler token can
 * then move a canary's live AUC only as fast as the quota allows, while the other sources'
 * labels keep counting. Unlike a fixed window, a bucket allows no double burst at a window's
 * edge. Sources are authenticated principals, so the map is as small as their number.
 */
interface Bucket {
  tokens: number;
  at: number;
}

export class LabelQuota {
  private readonly buckets = new Map<string, Bucket>();

  /** @param perMinute labels per source per minute (and the largest burst); 0 disables the quota. */
  constructor(readonly perMinute: number) {}

  /**
   * Takes `n` labels from `source`'s quota; all or nothing.
   * @returns 0 when granted, else the seconds until they would be (for `retry-after`).
   */
  take(source: string, n: number, nowMs: number): number {
    if (this.perMinute <= 0) return 0;
    const ratePerMs = this.perMinute / 60_000;
    const b = this.buckets.get(source) ?? { tokens: this.perMinute, at: nowMs };
    b.tokens = Math.min(this.perMinute, b.tokens + Math.max(0, nowMs - b.at) * ratePerMs);
    b.at = nowMs;
    this.buckets.set(source, b);
    if (n <= b.tokens) {
      b.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((Math.min(n, this.perMinute) - b.tokens) / ratePerMs / 1000));
  }

  /** Returns `n` labels taken by `take` whose request then recorded nothing (the inference log refused them). */
  giveBack(source: string, n: number): void {
    const b = this.buckets.get(source);
    if (b && this.perMinute > 0) b.tokens = Math.min(this.perMinute, b.tokens + n);
  }
}
