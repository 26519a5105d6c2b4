/**
 * The wrapper every step activity goes through: idempotency by step key, the attempt
 * number in the result, structured logs, and the translation of Slipway errors into
 * Temporal failures (permanent → non-retryable with a stable type; others retry).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { isSlipwayError } from '../errors';
import type { StepOutput, StepRequest, StepResult } from '../pipeline/types';
import type { StepRecords } from '../step-records/step-records';

export interface StepActivityDeps {
  logger: Logger;
  stepRecords: StepRecords;
}

/** The run-scoped key of a step: stable across retries of the same activity. */
export const stepKey = (req: StepRequest): string => `${req.ctx.workflowId}/${req.ctx.runId}/${req.ctx.stepId}`;

export function defineStep<P>(
  deps: StepActivityDeps,
  kind: string,
  parse: (params: Record<string, unknown>) => P,
  run: (req: StepRequest, params: P, log: Logger) => Promise<StepOutput>,
): (req: StepRequest) => Promise<StepResult> {
  return async (req) => {
    const attempt = Context.current().info.attempt;
    const log = deps.logger.child({ kind, step: req.ctx.stepId, workflowId: req.ctx.workflowId, attempt });
    const key = stepKey(req);
    const earlier = await deps.stepRecords.get(key);
    if (earlier) {
      log.info('step already finished in an earlier attempt; returning its output');
      return { ...earlier, attempt };
    }
    const started = Date.now();
    try {
      const output = await run(req, parse(req.params), log);
      await deps.stepRecords.put(key, output);
      log.info({ ms: Date.now() - started, summary: output.summary }, 'step finished');
      return { ...output, attempt };
    } catch (err) {
      throw toFailure(err, attempt, log);
    }
  };
}

export function toFailure(err: unknown, attempt: number, log: Logger): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (isSlipwayError(err)) {
    log.warn({ err, code: err.code }, 'step failed');
    return ApplicationFailure.create({
      type: err.name,
      message: err.message,
      nonRetryable: !err.retryable,
      details: [{ attempt, ...err.details }],
      cause: err,
    });
  }
  if ((err as Error)?.name === 'AbortError' || Context.current().cancellationSignal.aborted) return err;
  log.error({ err }, 'step failed with an unexpected error; Temporal will retry it');
  return ApplicationFailure.retryable((err as Error)?.message ?? String(err), (err as Error)?.name ?? 'Error', { attempt });
}
