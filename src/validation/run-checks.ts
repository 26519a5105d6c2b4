/** Every check, in report order. Pure: the activity gathers the inputs, this judges them. */
import { duplicateChecks, labelChecks, rowCountChecks } from './batch-checks';
import type { CheckContext, CheckResult } from './check-result';
import type { ColumnDrift } from './drift';
import { referenceChecks } from './reference-checks';
import { taskLabelChecks } from './task-checks';
import { columnChecks, conversionChecks, domainChecks, nullChecks, rangeChecks } from './schema-checks';

export function runChecks(ctx: CheckContext): { checks: CheckResult[]; drift: ColumnDrift[] } {
  const reference = referenceChecks(ctx);
  const checks = [
    ...columnChecks(ctx),
    ...conversionChecks(ctx),
    ...rowCountChecks(ctx),
    ...nullChecks(ctx),
    ...rangeChecks(ctx),
    ...domainChecks(ctx),
    ...duplicateChecks(ctx),
    ...(ctx.meta.train.task ? taskLabelChecks(ctx) : labelChecks(ctx)),
    ...reference.checks,
  ];
  return { checks, drift: reference.drift };
}
