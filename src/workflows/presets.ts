/** Named timeout and retry presets; call sites pick one instead of repeating literals. */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { toMs } from '../duration/duration';
import { ERROR_CODES } from '../error-codes';
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

/** Asking the local worker for the task-queue topology: answered from memory. */
export const TASK_QUEUES_OPTIONS = {
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '100ms' },
  summary: 'task queues',
} as const satisfies LocalActivityOptions;

export function retryPolicy(spec: RetrySpec | undefined): RetryPolicy {
  if (!spec) return { ...DEFAULT_STEP_RETRY };
  return {
    ...spec,
    initialInterval: toMs(spec.initialInterval),
    maximumInterval: toMs(spec.maximumInterval),
  };
}

/** The rollback workflow's registry move (compare-and-set on the champion alias). */
export const ROLLBACK_CHAMPION_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1s' },
} as const satisfies ActivityOptions;

/** Setting a canary step's traffic: the server may be restarting, so a few tries over ~30 s. */
export const TRAFFIC_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 6, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
} as const satisfies ActivityOptions;

/**
 * Rolling a canary back must happen: retried until the server takes it (a refused candidate
 * is handled inside the activity). The run's status shows `rolling-back` meanwhile.
 */
export const ROLLBACK_TRAFFIC_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
} as const satisfies ActivityOptions;

/** Reading a step's stats: bounded, so an unreachable server makes the step inconclusive rather than stalling it. */
export const MEASURE_OPTIONS = {
  startToCloseTimeout: '15s',
  retry: { maximumAttempts: 4, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '4s' },
} as const satisfies ActivityOptions;

/** Checking a model's retrain triggers reads the registry, counts new rows and asks the model server. */
export const ASSESS_RETRAINING_OPTIONS = {
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5, initialInterval: '5s' },
  summary: 'assess retrain triggers',
} as const satisfies ActivityOptions;

/** Checking the canary's input is pure and local; a bad input never gets better on retry. */
export const PARSE_CANARY_INPUT_OPTIONS = {
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 1 },
} as const satisfies LocalActivityOptions;

export const REPORT_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1s' },
} as const satisfies ActivityOptions;

/**
 * Verifying who sent a decision (approve, reject, abort) checks a signed token locally: a refusal
 * is final (`UnverifiableIdentity` is the name of src/auth/run-authority.ts's error); only a store
 * hiccup is worth a second try.
 */
export const VERIFY_DECISION_OPTIONS = {
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 2, initialInterval: '200ms', nonRetryableErrorTypes: [ERROR_CODES.PermissionDenied, 'UnverifiableIdentity'] },
  summary: 'verify decision',
} as const satisfies LocalActivityOptions;
