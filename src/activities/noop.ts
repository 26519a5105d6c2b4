/**
 * The `noop` step kind, for tests and benchmarks: no work, no I/O of its own; it hands on the
 * artifact references of the steps it depends on. Run through `defineStep` like every kind, so
 * a benchmark built on it measures the engine's real per-step costs (step record, logging).
 */
import type { ArtifactRef, StepOutputBody, StepRequest } from '../pipeline/types';

export function passReferences(req: StepRequest): StepOutputBody<'noop'> {
  const artifacts = Object.assign({}, ...Object.values(req.inputs).map((o) => o.artifacts)) as Record<string, ArtifactRef>;
  return { artifacts, summary: { noop: true, upstream: Object.keys(req.inputs).length } };
}
