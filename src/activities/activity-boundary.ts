/**
 * The one place where errors leave an activity. Slipway errors become `ApplicationFailure`s whose
 * `type` is their code from src/error-codes.ts (permanent ones non-retryable, so Temporal does not
 * retry what no retry can fix); failures already shaped and cancellations pass through; anything
 * unexpected is logged and retried.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { isSlipwayError } from '../errors';

/** The failure an activity throws for `err`, with the attempt number in its details. */
export function toApplicationFailure(err: unknown, attempt: number, log: Logger): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (isSlipwayError(err)) {
    log.warn({ err, code: err.code }, 'activity failed');
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      details: [{ attempt, ...err.details }],
      cause: err,
    });
  }
  if ((err as Error)?.name === 'AbortError' || Context.current().cancellationSignal.aborted) return err;
  log.error({ err }, 'activity failed with an unexpected error; Temporal will retry it');
  return ApplicationFailure.retryable((err as Error)?.message ?? String(err), (err as Error)?.name ?? 'Error', { attempt });
}

/**
 * Wraps an activity so its errors cross the boundary through {@link toApplicationFailure}, and
 * hands it a logger bound to the activity, workflow and attempt.
 */
export function atActivityBoundary<A, R>(name: string, logger: Logger, fn: (arg: A, log: Logger) => Promise<R>): (arg: A) => Promise<R> {
  return async (arg: A): Promise<R> => {
    const { attempt, workflowExecution } = Context.current().info;
    const log = logger.child({ activity: name, workflowId: workflowExecution?.workflowId, attempt });
    try {
      return await fn(arg, log);
    } catch (err) {
      throw toApplicationFailure(err, attempt, log);
    }
  };
}
