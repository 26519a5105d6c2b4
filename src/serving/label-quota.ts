/**
 * Per-source label quota: each authenticated label source may post at most `perMinute`
 * labels in a fixed one-minute window. A leaked or misbehaving labeler token can then move a
 * canary's live AUC only as fast as the quota allows, and the other sources' labels keep
 * counting. Sources are authenticated principals, so the map is as small as their number.
 */
export class LabelQuota {
  private windowStart = 0;
  private readonly used = new Map<string, number>();

  /** @param perMinute labels per source per minute; 0 disables the quota. */
  constructor(readonly perMinute: number) {}

  /**
   * Takes `n` labels from `source`'s quota; all or nothing.
   * @returns 0 when granted, else the seconds until the window resets (for `retry-after`).
   */
  take(source: string, n: number, nowMs: number): number {
    if (this.perMinute <= 0) return 0;
    if (nowMs - this.windowStart >= 60_000) {
      this.windowStart = nowMs - (nowMs % 60_000);
      this.used.clear();
    }
    const used = this.used.get(source) ?? 0;
    if (used + n > this.perMinute) return Math.max(1, Math.ceil((this.windowStart + 60_000 - nowMs) / 1000));
    this.used.set(source, used + n);
    return 0;
  }

  /** Labels `source` has used in the current window. */
  usedBy(source: string): number {
    return this.used.get(source) ?? 0;
  }
}
