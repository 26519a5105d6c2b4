import { describe, expect, it } from 'vitest';
import { findArtifact } from '../activities/upstream';
import { upstreamOf } from '../pipeline/step-outputs';
import type { IngestSummary, ValidateSummary } from '../pipeline/step-summaries';
import type { StepOutput } from '../pipeline/types';
import { trackArtifactReads } from './read-tracking';

const ref = (name: string) => ({ uri: `artifact://sha256/${'a'.repeat(64)}`, sha256: 'a'.repeat(64), bytes: 1, name, mediaType: 'x' });
const inputs: Record<string, StepOutput> = {
  ingest: { kind: 'ingest', artifacts: { train: ref('train'), holdout: ref('holdout') }, summary: { dataDigest: 'd' } as IngestSummary },
  validate: { kind: 'validate', artifacts: { 'validation-report': ref('validation-report') }, summary: { checks: 3 } as ValidateSummary },
};

describe('trackArtifactReads', () => {
  it('records the roles a step looks up, and returns the same refs', () => {
    const t = trackArtifactReads(inputs);
    expect(findArtifact(t.inputs, 'train')).toEqual(inputs.ingest.artifacts.train);
    expect([...t.read()]).toEqual(['train']);
  });

  it('records a role looked up but absent, since its appearing could change the output', () => {
    const t = trackArtifactReads(inputs);
    expect(() => findArtifact(t.inputs, 'schema')).toThrow(/no upstream step produced a "schema" artifact/);
    expect(t.read().has('schema')).toBe(true);
  });

  it('counts enumerating an artifacts record as reading every role in it', () => {
    const t = trackArtifactReads(inputs);
    JSON.stringify(t.inputs.validate);
    expect([...t.read()]).toEqual(['validation-report']);
  });

  it('counts asking whether a role is there', () => {
    const t = trackArtifactReads(inputs);
    void ('schema' in t.inputs.ingest.artifacts);
    void Object.hasOwn(t.inputs.ingest.artifacts, 'reference');
    expect([...t.read()]).toEqual(['schema', 'reference']);
  });

  it('does not count summaries, or the probes JSON and Object.prototype make', () => {
    const t = trackArtifactReads(inputs);
    expect(upstreamOf(t.inputs, 'ingest')?.summary.dataDigest).toBe('d');
    void t.inputs.ingest.artifacts.hasOwnProperty;
    void (t.inputs.ingest.artifacts as unknown as { toJSON?: unknown }).toJSON;
    expect(t.read().size).toBe(0);
  });
});
