/**
 * Strength of the static secrets an operator types into the environment (SLIPWAY_API_TOKENS,
 * SLIPWAY_SERVE_ADMIN_TOKEN): a floor that refuses placeholders (`change-me-too`), short values and
 * obvious patterns at startup. It cannot prove a value random; the advice is always to generate
 * one (`openssl rand -hex 32`). Tokens the access-control store issues (`slw_…`) are random by
 * construction and not checked here.
 */

export const SECRET_RULES = {
  /** Characters at least. */
  minLength: 32,
  /** Estimated bits at least (per-character Shannon entropy of the value times its length). */
  minEntropyBits: 120,
} as const;

export const GENERATE_HINT = 'generate one with `openssl rand -hex 32`';

/** Words that mark a placeholder or a guessable value, whatever surrounds them. */
// Five letters or more: a random value contains a given 4-letter word too often (about 1 in 20,000 base64 tokens).
const PLACEHOLDERS = ['change', 'replace', 'example', 'password', 'secret', 'default', 'token', 'admin', 'qwerty', 'letmein'];

/** Why `value` is too weak to be a static secret, or undefined when it passes. */
export function weakSecretReason(value: string): string | undefined {
  if (value.length < SECRET_RULES.minLength) return `it has ${value.length} characters; at least ${SECRET_RULES.minLength} are required`;
  const lower = value.toLowerCase();
  const word = PLACEHOLDERS.find((w) => lower.includes(w));
  if (word) return `it contains "${word}", which marks a placeholder or a guessable value`;
  if (isRepeatedBlock(value)) return 'it repeats one short block';
  if (sequentialShare(value) > 0.5) return 'it is mostly a run of consecutive characters (such as 0123… or abcd…)';
  const bits = Math.round(entropyBits(value));
  if (bits < SECRET_RULES.minEntropyBits) return `its estimated entropy is ${bits} bits; at least ${SECRET_RULES.minEntropyBits} are required`;
  return undefined;
}

/** Shannon entropy of the value's own character distribution, times its length. */
export function entropyBits(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / value.length) * Math.log2(n / value.length);
  return perChar * value.length;
}

function isRepeatedBlock(value: string): boolean {
  for (let size = 1; size <= value.length / 2; size++) {
    if (value.length % size === 0 && value.slice(0, size).repeat(value.length / size) === value) return true;
  }
  return false;
}

/** Share of adjacent pairs whose character codes differ by exactly one (either way). */
function sequentialShare(value: string): number {
  let steps = 0;
  for (let i = 1; i < value.length; i++) if (Math.abs(value.charCodeAt(i) - value.charCodeAt(i - 1)) === 1) steps++;
  return steps / (value.length - 1);
}
