/**
 * Checks against the reference data (the champion's training snapshot): label rate shift (a
 * poisoning signal), injected outliers, and per-column and dataset drift.
 */
import type { ValidationCheckName } from '../pipeline/step-params';
import { count, num, pct, round6, verdict, type CheckContext, type CheckResult } from './check-result';
import { columnDrift, type ColumnDrift } from './drift';
import { countOutside, histogramQuantile, histogramTotal } from './histogram';
import type { ColumnProfile, DatasetProfile } from './profile';
import { outlierCheck } from './outlier-check';
import { taskReferenceChecks } from './task-checks';

const METHOD_NAMES: Record<ColumnDrift['method'], string> = {
  ks: 'Kolmogorov–Smirnov p-value',
  chisquare: 'chi-squared p-value',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen–Shannon distance',
  psi: 'PSI',
};

/** Share of 1s among the 0/1 labels of a profile, or null without labels. */
export function positiveRate(profile: DatasetProfile, label: string): number | null {
  const counts = new Map(profile.columns[label]?.categories ?? []);
  const ones = counts.get('1') ?? 0;
  const zeros = counts.get('0') ?? 0;
  return ones + zeros === 0 ? null : ones / (ones + zeros);
}

export function referenceChecks(ctx: CheckContext): { checks: CheckResult[]; drift: ColumnDrift[] } {
  const { params, reference } = ctx;
  if (!reference) {
    const skipped = (check: ValidationCheckName) =>
      verdict(params, check, undefined, { observed: null, threshold: '-', message: `${check}: skipped, no champion yet to compare with (first run of this model)` });
    const targetDrift = ctx.meta.train.task === 'regression' ? skipped('targetDrift') : [];
    return { checks: [...skipped('labelRateShift'), ...skipped('outliers'), ...targetDrift, ...skipped('drift')], drift: [] };
  }
  const drift = driftResults(ctx);
  // Multiclass and regression labels get their own shift checks (task-checks.ts).
  const shift = ctx.meta.train.task ? taskReferenceChecks(ctx) : labelShift(ctx);
  return { checks: [...shift, ...outliers(ctx), ...driftChecks(ctx, drift)], drift };
}

function labelShift(ctx: CheckContext): CheckResult[] {
  const { params, reference, current, meta } = ctx;
  const label = meta.train.label;
  const now = positiveRate(current, label);
  const before = reference!.positiveRate;
  const max = params.maxPositiveRateShift;
  if (now === null || before === null) {
    return verdict(params, 'labelRateShift', undefined, { column: label, observed: null, threshold: `<= ${max}`, message: `labelRateShift(${label}): skipped, no labels on one side` });
  }
  const shift = Math.abs(now - before);
  return verdict(params, 'labelRateShift', shift <= max, {
    column: label,
    observed: round6(shift),
    threshold: `<= ${max}`,
    message: `labelRateShift(${label}): positive rate ${pct(now)} vs ${pct(before)} in the ${reference!.description}, shift ${num(shift)} ${shift <= max ? '<=' : '>'} ${max}${shift > max ? '; were labels flipped or the labelling changed? Check the label source, or raise maxPositiveRateShift if the change is real' : ''}`,
  });
}

function outliers(ctx: CheckContext): CheckResult[] {
  const { reference, current } = ctx;
  return Object.values(current.columns)
    .filter((p) => p.kind === 'numeric' && p.histogram && ctx.schema.columns[p.name]?.role !== 'label')
    .map((p): [ColumnProfile, ColumnProfile] => [reference!.profile.columns[p.name], p])
    .filter(([r]) => r?.kind === 'numeric' && r.histogram !== undefined && histogramTotal(r.histogram) > 0)
    .flatMap(([ref, cur]) => outlierCheck(ctx, ref, cur));
}

function driftResults(ctx: CheckContext): ColumnDrift[] {
  const { schema, current, reference, meta } = ctx;
  return Object.values(current.columns)
    .filter((p) => p.name !== meta.train.label && schema.columns[p.name]?.drift !== false)
    .map((p) => (reference!.profile.columns[p.name] ? columnDrift(reference!.profile.columns[p.name], p, ctx.params.drift) : undefined))
    .filter((d): d is ColumnDrift => d !== undefined);
}

function driftChecks(ctx: CheckContext, drift: ColumnDrift[]): CheckResult[] {
  const { params, reference } = ctx;
  const perColumn = drift.flatMap((d) =>
    verdict(params, 'drift', !d.drifted, {
      column: d.column,
      observed: round6(d.value),
      threshold: `${d.direction === 'below' ? '>=' : '<'} ${d.threshold}`,
      message: `drift(${d.column}): ${METHOD_NAMES[d.method]} ${num(d.value)} ${d.drifted ? (d.direction === 'below' ? '<' : '>=') : d.direction === 'below' ? '>=' : '<'} ${d.threshold} vs the ${reference!.description} (${count(d.referenceValues)} vs ${count(d.currentValues)} values)`,
    }),
  );
  const drifted = drift.filter((d) => d.drifted);
  const share = drift.length ? drifted.length / drift.length : 0;
  const max = params.drift.maxDriftedFraction;
  const dataset = verdict(params, 'drift', drift.length === 0 ? undefined : share < max, {
    observed: round6(share),
    threshold: `< ${max}`,
    message: `drift: ${drifted.length} of ${drift.length} columns drifted (${pct(share)})${drifted.length ? `: ${drifted.map((d) => d.column).join(', ')}` : ''}; dataset drift at >= ${pct(max)}`,
  });
  return [...perColumn, ...dataset];
}
