/**
 * Canonical JSON: the same value always serialises to the same bytes, whatever order its
 * keys were inserted in, so equal JSON artifacts get equal sha256 digests and are stored once.
 *
 * Keys are sorted by UTF-16 code units, as RFC 8785 (JCS) does; hand-written rather than a
 * `JSON.stringify` replacer because JavaScript objects always enumerate integer-like keys
 * first ("9" before "10" before "a"), which no replacer can undo.
 */
export function canonicalJson(value: unknown): string {
  const out = serialise(value, new Set());
  if (out === undefined) {
    throw new TypeError(`canonicalJson: a top-level ${typeof value} has no JSON form`);
  }
  return out;
}

/** Returns undefined for values JSON omits (undefined, functions, symbols). */
function serialise(value: unknown, ancestors: Set<object>): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // Same rule as JSON.stringify (NaN and ±Infinity become null) so readers never disagree.
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt has no JSON form; convert it to a string or number first');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';

  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError('canonicalJson: value contains a cycle');
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item) => serialise(item, ancestors) ?? 'null').join(',')}]`;
    }
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = serialise(record[key], ancestors);
      if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}
