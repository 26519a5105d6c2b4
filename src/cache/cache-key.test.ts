import { describe, expect, it } from 'vitest';
import type { ArtifactRef, StepOutput } from '../pipeline/types';
import { cacheKey, inputDigests, type CacheKeyParts } from './cache-key';

const sha = (c: string) => c.repeat(64);
const ref = (name: string, digest: string, extra: Partial<ArtifactRef> = {}): ArtifactRef => ({
  uri: `artifact://sha256/${digest}`,
  sha256: digest,
  bytes: 10,
  name,
  mediaType: 'application/octet-stream',
  ...extra,
});
const out = (...refs: ArtifactRef[]): StepOutput => ({ kind: 'noop', artifacts: Object.fromEntries(refs.map((r) => [r.name, r])), summary: { noop: true, upstream: 0 } });

const base: CacheKeyParts = {
  kind: 'train',
  version: 1,
  params: { features: { numeric: ['distance'], categorical: ['origin'] }, params: { epochs: 3, seed: 7 } },
  inputs: [{ train: sha('a'), holdout: sha('b') }],
};

describe('cacheKey', () => {
  it('is a sha256 hex digest, stable for equal parts', () => {
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey(structuredClone(base))).toBe(cacheKey(base));
  });

  it('ignores the order in which parameter keys were written', () => {
    const reordered = { ...base, params: { params: { seed: 7, epochs: 3 }, features: { categorical: ['origin'], numeric: ['distance'] } } };
    expect(cacheKey(reordered)).toBe(cacheKey(base));
  });

  describe.each<[string, Partial<CacheKeyParts>]>([
    ['the kind', { kind: 'evaluate' }],
    ['the step-code version', { version: 2 }],
    ['one parameter', { params: { ...(base.params as object), params: { epochs: 4, seed: 7 } } }],
    ['an input digest', { inputs: [{ train: sha('c'), holdout: sha('b') }] }],
    ['the role of an input', { inputs: [{ train: sha('b'), holdout: sha('a') }] }],
    ['an external input', { external: { champion: { version: 2 } } }],
  ])('changes with %s', (_label, change) => {
    it('gives a different key', () => expect(cacheKey({ ...base, ...change })).not.toBe(cacheKey(base)));
  });
});

describe('inputDigests', () => {
  it('keys on content, not on URIs, metadata or the ids of upstream steps', () => {
    const a = { ingest: out(ref('train', sha('a')), ref('holdout', sha('b'))) };
    const b = { 'load-data': out(ref('train', sha('a'), { meta: { rows: 9 } }), ref('holdout', sha('b'))) };
    expect(inputDigests(a, ['train', 'holdout'])).toEqual(inputDigests(b, ['train', 'holdout']));
  });

  it('takes only the roles the kind reads, and skips upstream steps without any', () => {
    const inputs = {
      ingest: out(ref('train', sha('a')), ref('holdout', sha('b'))),
      validate: out(ref('validation-report', sha('c'))),
      train: out(ref('model', sha('d'))),
    };
    expect(inputDigests(inputs, ['model', 'holdout'])).toEqual([{ holdout: sha('b') }, { model: sha('d') }]);
  });

  it('keeps upstream order, which decides the nearest artifact of a role', () => {
    const one = { a: out(ref('model', sha('1'))), b: out(ref('model', sha('2'))) };
    const swapped = { b: out(ref('model', sha('2'))), a: out(ref('model', sha('1'))) };
    expect(inputDigests(one, ['model'])).not.toEqual(inputDigests(swapped, ['model']));
  });
});
