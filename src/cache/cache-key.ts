/**
 * The content key of a step: what its output depends on, never what things are called.
 * Upstream artifacts enter by their sha256 and logical role (`train`, `model`), not by URI,
 * file name or the id of the step that made them; parameters enter in canonical JSON, so key
 * order and spelled-out defaults do not matter.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../artifacts/canonical-json';
import type { ArtifactRef } from '../pipeline/types';

/** Bumped if the layout of the hashed material below changes, retiring every older key. */
export const CACHE_KEY_SCHEMA = 1;

export interface CacheKeyParts {
  kind: string;
  /** The kind's step-code version (STEP_KINDS[kind].version). */
  version: number;
  /** The step's parsed, defaulted parameters. */
  params: unknown;
  /** From {@link inputDigests}. */
  inputs: Array<Record<string, string>>;
  /** Facts outside the pipeline the output depends on: source file digests, the current champion. */
  external?: unknown;
}

/**
 * The digests of the upstream artifacts a kind reads, one record (role → sha256) per upstream
 * step that has any, in the order the step sees them. Order is kept because a step that looks an
 * artifact up by role takes the nearest upstream one.
 */
export function inputDigests(inputs: Record<string, { artifacts: Record<string, ArtifactRef> }>, reads: readonly string[]): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const output of Object.values(inputs)) {
    const picked: Record<string, string> = {};
    for (const name of reads) {
      const ref = output?.artifacts[name];
      if (ref) picked[name] = ref.sha256;
    }
    if (Object.keys(picked).length > 0) out.push(picked);
  }
  return out;
}

export function cacheKey(parts: CacheKeyParts): string {
  const material = canonicalJson({ schema: CACHE_KEY_SCHEMA, ...parts });
  return createHash('sha256').update(material).digest('hex');
}
