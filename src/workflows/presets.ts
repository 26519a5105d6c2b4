/** Named timeout and retry presets; call sites pick one instead of repeating literals. */
import type { Duration } from '@temporalio/common';
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { RetrySpec } from '../pipeline/spec-schema';

export const DEFAULT_STEP_RETRY = {
  maximumAttempts: 3,
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
} as const satisfies RetryPolicy;

/** Resolving a spec reads one small file; a failure past three tries is not transient. */
export const RESOLVE_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, initialInterval: '1s' },
  summary: 'resolve pipeline spec',
} as const satisfies ActivityOptions;

export function retryPolicy(spec: RetrySpec | undefined): RetryPolicy {
  if (!spec) return { ...DEFAULT_STEP_RETRY };
  return {
    ...spec,
    initialInterval: spec.initialInterval as Duration,
    maximumInterval: spec.maximumInterval as Duration,
  };
}
