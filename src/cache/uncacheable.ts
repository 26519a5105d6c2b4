import type { StepRequest } from '../pipeline/types';

/** Returned by a cache-inputs hook when a step cannot be keyed this time; the step then runs uncached. */
export class Uncacheable {
  constructor(readonly reason: string) {}
}

/**
 * Facts outside the pipeline that a kind's output depends on, folded into its cache key:
 * a JSON value, or {@link Uncacheable}. Errors propagate and fail the attempt (Temporal retries).
 */
export type CacheInputs<P> = (req: StepRequest, params: P) => Promise<unknown>;
