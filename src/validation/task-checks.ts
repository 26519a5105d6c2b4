/**
 * Label checks for multiclass and regression snapshots, in place of the binary ones (0/1 values,
 * positive rate and its shift), which would be meaningless on class names or a numeric target.
 *
 * Multiclass: `labelValues` (label values the ingest could not map to a pinned class),
 * `unseenClasses` (classes outside the champion's class list: the champion cannot score them and a
 * new model would answer with other columns), `classBalance` (each class at least `minPositiveRate`
 * of the labelled rows) and `labelRateShift` per class (|share − reference share| at most
 * `maxPositiveRateShift`: label flipping between classes shows here).
 * Regression: `labelValues` (text that did not convert to a number), `targetRange` (share outside the
 * pinned `schema.columns.<label>` range at most `maxOutOfRangeFraction`), `outliers` on the target
 * (the features' IQR-fence check against the reference) and `targetDrift` (the features' drift test).
 */
import { count, num, pct, round6, verdict, type CheckContext, type CheckResult } from './check-result';
import { columnDrift } from './drift';
import { countOutside, histogramTotal } from './histogram';
import { outlierCheck } from './outlier-check';

/** Replaces `labelChecks` for a multiclass or regression snapshot. */
export function taskLabelChecks(ctx: CheckContext): CheckResult[] {
  return ctx.meta.train.task === 'multiclass' ? multiclassChecks(ctx) : regressionChecks(ctx);
}

/** Replaces `labelRateShift` for a multiclass or regression snapshot; nothing without a reference. */
export function taskReferenceChecks(ctx: CheckContext): CheckResult[] {
  if (!ctx.reference) return [];
  return ctx.meta.train.task === 'multiclass' ? classRateShift(ctx) : targetAgainstReference(ctx);
}

function conversionCheck(ctx: CheckContext, what: string): CheckResult[] {
  const { params, meta } = ctx;
  const label = meta.train.label;
  const failed = meta.train.conversionFailures?.[label];
  return verdict(params, 'labelValues', !failed || failed.count === 0, {
    column: label,
    observed: failed?.count ?? 0,
    threshold: what,
    message: failed?.count
      ? `labelValues(${label}): ${count(failed.count)} of ${count(failed.rows)} rows have a label that is not ${what} (e.g. "${failed.example}"); they are null in the snapshot`
      : `labelValues(${label}): every label is ${what}`,
  });
}

/** Counts per class in the batch (train and holdout), from the label's profile. */
function classCounts(ctx: CheckContext, which: 'current' | 'reference'): Map<string, number> {
  const profile = which === 'current' ? ctx.current : ctx.reference?.profile;
  return new Map(profile?.columns[ctx.meta.train.label]?.categories ?? []);
}

function multiclassChecks(ctx: CheckContext): CheckResult[] {
  const { params, meta, reference } = ctx;
  const label = meta.train.label;
  const classes = meta.train.classes ?? [];
  const counts = classCounts(ctx, 'current');
  const out = conversionCheck(ctx, `one of the classes ${classes.join(', ')}`);

  const known = reference?.classes;
  const unseen = known ? classes.filter((c) => !known.includes(c) && (counts.get(c) ?? 0) > 0) : [];
  out.push(
    ...verdict(params, 'unseenClasses', known ? unseen.length === 0 : undefined, {
      column: label,
      observed: known ? (unseen.length ? unseen.join(', ') : 0) : null,
      threshold: known ? `classes in ${known.join(', ')}` : '-',
      message: !known
        ? `unseenClasses(${label}): skipped, no champion class list to compare with (first run, or a champion trained before classes were recorded)`
        : unseen.length
          ? `unseenClasses(${label}): class${unseen.length > 1 ? 'es' : ''} ${unseen.map((c) => `"${c}" (${count(counts.get(c) ?? 0)} rows)`).join(', ')} not among the ${reference!.description}'s classes ${known.join(', ')}; the champion cannot score ${unseen.length > 1 ? 'them' : 'it'}. Pin label.classes to the known list (other values then count as labelValues failures) or accept the new class by promoting a model trained on it by hand`
          : `unseenClasses(${label}): every class is among the ${reference!.description}'s classes`,
    }),
  );

  const labelled = [...counts.values()].reduce((a, b) => a + b, 0);
  const shares = classes.map((c) => ({ c, share: labelled > 0 ? (counts.get(c) ?? 0) / labelled : 0 }));
  const rarest = shares.reduce((a, b) => (b.share < a.share ? b : a), shares[0] ?? { c: '-', share: 0 });
  const min = params.minPositiveRate;
  out.push(
    ...verdict(params, 'classBalance', shares.length > 0 ? rarest.share >= min : undefined, {
      column: label,
      observed: round6(rarest.share),
      threshold: `every class >= ${min}`,
      message: `classBalance(${label}): rarest class "${rarest.c}" has ${pct(rarest.share)} of ${count(labelled)} labelled rows, required >= ${pct(min)} (minPositiveRate)${rarest.share < min ? '; a model cannot learn a class it barely sees: widen the window or pin fewer classes' : ''}`,
    }),
  );
  return out;
}

function classRateShift(ctx: CheckContext): CheckResult[] {
  const { params, meta, reference } = ctx;
  const label = meta.train.label;
  const now = classCounts(ctx, 'current');
  const before = classCounts(ctx, 'reference');
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const [n, r] = [total(now), total(before)];
  const max = params.maxPositiveRateShift;
  if (n === 0 || r === 0) {
    return verdict(params, 'labelRateShift', undefined, { column: label, observed: null, threshold: `<= ${max}`, message: `labelRateShift(${label}): skipped, no labels on one side` });
  }
  const classes = [...new Set([...(meta.train.classes ?? []), ...before.keys()])];
  return classes.flatMap((c) => {
    const a = (now.get(c) ?? 0) / n;
    const b = (before.get(c) ?? 0) / r;
    const shift = Math.abs(a - b);
    return verdict(params, 'labelRateShift', shift <= max, {
      column: label,
      observed: round6(shift),
      threshold: `<= ${max}`,
      message: `labelRateShift(${label}=${c}): share ${pct(a)} vs ${pct(b)} in the ${reference!.description}, shift ${num(shift)} ${shift <= max ? '<=' : '>'} ${max}${shift > max ? '; were labels moved between classes or the labelling changed? Check the label source, or raise maxPositiveRateShift if the change is real' : ''}`,
    });
  });
}

function regressionChecks(ctx: CheckContext): CheckResult[] {
  const { params, meta, current } = ctx;
  const label = meta.train.label;
  const out = conversionCheck(ctx, 'a number');
  const pin = params.schema.columns[label];
  const profile = current.columns[label];
  const max = params.maxOutOfRangeFraction;
  if (!pin || (pin.min === undefined && pin.max === undefined) || !profile?.histogram) {
    out.push(
      ...verdict(params, 'targetRange', undefined, {
        column: label,
        observed: profile ? `${profile.min ?? '-'} to ${profile.max ?? '-'}` : null,
        threshold: '-',
        message: `targetRange(${label}): skipped, no range pinned; this batch's targets run from ${profile?.min ?? '-'} to ${profile?.max ?? '-'}. Pin validate.schema.columns.${label}.min/max to check them`,
      }),
    );
    return out;
  }
  const lo = pin.min ?? -Infinity;
  const hi = pin.max ?? Infinity;
  const share = countOutside(profile.histogram, lo, hi) / Math.max(1, histogramTotal(profile.histogram));
  out.push(
    ...verdict(params, 'targetRange', share <= max, {
      column: label,
      observed: round6(share),
      threshold: `<= ${max} outside [${lo}, ${hi}]`,
      message: `targetRange(${label}): ${pct(share)} of targets outside the pinned [${lo}, ${hi}] (this batch: ${profile.min ?? '-'} to ${profile.max ?? '-'}), allowed <= ${pct(max)}${share > max ? '; look for unit changes or a different target' : ''}`,
    }),
  );
  return out;
}

function targetAgainstReference(ctx: CheckContext): CheckResult[] {
  const { params, meta, reference, current } = ctx;
  const label = meta.train.label;
  const cur = current.columns[label];
  const ref = reference!.profile.columns[label];
  if (!cur?.histogram || !ref?.histogram || ref.kind !== 'numeric') {
    return verdict(params, 'targetDrift', undefined, { column: label, observed: null, threshold: '-', message: `targetDrift(${label}): skipped, the ${reference!.description} has no numeric target` });
  }
  const out = outlierCheck(ctx, ref, cur);
  const d = columnDrift(ref, cur, params.drift);
  if (!d) return [...out, ...verdict(params, 'targetDrift', undefined, { column: label, observed: null, threshold: '-', message: `targetDrift(${label}): skipped, no targets on one side` })];
  out.push(
    ...verdict(params, 'targetDrift', !d.drifted, {
      column: label,
      observed: round6(d.value),
      threshold: `${d.direction === 'below' ? '>=' : '<'} ${d.threshold}`,
      message: `targetDrift(${label}): ${d.method} ${num(d.value)} ${d.drifted ? 'beyond' : 'within'} ${d.threshold} vs the ${reference!.description} (${count(d.referenceValues)} vs ${count(d.currentValues)} targets; this batch ${cur.min ?? '-'} to ${cur.max ?? '-'})`,
    }),
  );
  return out;
}
