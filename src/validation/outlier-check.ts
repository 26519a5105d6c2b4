/** The `outliers` check for one numeric column against the reference; shared by the feature and target checks. */
import { num, pct, round6, verdict, type CheckContext, type CheckResult } from './check-result';
import { countOutside, histogramQuantile, histogramTotal } from './histogram';
import type { ColumnProfile } from './profile';

/** `outliers` for one numeric column: share beyond the reference's IQR fences, in excess of the reference's own. */
export function outlierCheck(ctx: CheckContext, ref: ColumnProfile, cur: ColumnProfile): CheckResult[] {
  const { params } = ctx;
  const k = params.outlierIqrMultiplier;
  const max = params.maxOutlierFraction;
  const q1 = histogramQuantile(ref.histogram!, 0.25);
  const q3 = histogramQuantile(ref.histogram!, 0.75);
  const iqr = q3 - q1;
  // A column with no spread (IQR 0) falls back to the reference's own range.
  const lo = iqr > 0 ? q1 - k * iqr : (ref.min ?? q1);
  const hi = iqr > 0 ? q3 + k * iqr : (ref.max ?? q3);
  const share = (p: ColumnProfile) => countOutside(p.histogram!, lo, hi) / Math.max(1, histogramTotal(p.histogram!));
  const before = share(ref);
  const now = share(cur);
  const excess = now - before;
  return verdict(params, 'outliers', excess <= max, {
    column: cur.name,
    observed: round6(excess),
    threshold: `<= ${max}`,
    message: `outliers(${cur.name}): ${pct(now)} of values beyond the reference's fences [${num(lo)}, ${num(hi)}] (Q1 - ${k}·IQR, Q3 + ${k}·IQR; reference itself ${pct(before)}), excess ${pct(Math.max(0, excess))}, allowed <= ${pct(max)}${excess > max ? `; this batch reaches ${cur.min ?? '-'} to ${cur.max ?? '-'}, look for unit changes or injected values` : ''}`,
  });
}
