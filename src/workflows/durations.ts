/** Milliseconds of a spec duration such as `5s`, `10 minutes`, `1 hour`, `2 days` (pure, for workflows). */
const UNIT_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 };

export function msFromDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])/.exec(text.trim());
  if (!m) throw new RangeError(`not a duration: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}
