/** Checks of the batch on its own: row counts, duplicated rows, label values and positive rates. */
import { count, pct, round6, verdict, type CheckContext, type CheckResult } from './check-result';

export function rowCountChecks(ctx: CheckContext): CheckResult[] {
  const { params, current, meta } = ctx;
  const rows = current.rows;
  const ok = rows >= params.minRows && (params.maxRows === undefined || rows <= params.maxRows);
  const bounds = params.maxRows === undefined ? `>= ${params.minRows}` : `between ${params.minRows} and ${params.maxRows}`;
  return [
    ...verdict(params, 'rowCount', ok, {
      observed: rows,
      threshold: bounds,
      message: `rowCount: ${count(rows)} rows in the batch, required ${bounds}${rows < params.minRows ? '; widen the window or lower minRows' : ''}`,
    }),
    // Training needs rows, evaluation needs a holdout.
    ...(['train', 'holdout'] as const).flatMap((split) =>
      verdict(params, 'rowCount', meta[split].rows > 0, {
        split,
        observed: meta[split].rows,
        threshold: '>= 1',
        message: `rowCount on ${split}: ${count(meta[split].rows)} rows, required >= 1${meta[split].rows > 0 ? '' : '; the split left it empty (too few distinct times?)'}`,
      }),
    ),
  ];
}

export function duplicateChecks(ctx: CheckContext): CheckResult[] {
  const { params, current } = ctx;
  const d = current.duplicates;
  const max = params.maxDuplicateFraction;
  if (!d || d.sampledRows === 0) return verdict(params, 'duplicateRows', undefined, { observed: null, threshold: `<= ${max}`, message: 'duplicateRows: no rows to check' });
  const share = d.duplicateRows / d.sampledRows;
  const basis = d.modulus > 1 ? ` (estimated from ${count(d.sampledRows)} rows sampled by row hash)` : '';
  return verdict(params, 'duplicateRows', share <= max, {
    observed: round6(share),
    threshold: `<= ${max}`,
    message: `duplicateRows: ${pct(share)} of rows repeat another row exactly${basis}, allowed <= ${pct(max)}${share > max ? '; look for a source read twice or a replayed partition' : ''}`,
  });
}

export function labelChecks(ctx: CheckContext): CheckResult[] {
  const { params, current, meta } = ctx;
  const label = meta.train.label;
  const profile = current.columns[label];
  const invalidConverted = meta.train.conversionFailures?.[label];
  const strays = (profile?.categories ?? []).filter(([v]) => v !== '0' && v !== '1');
  const invalid = (invalidConverted?.count ?? 0) + strays.reduce((s, [, c]) => s + c, 0);
  const example = invalidConverted?.example ?? strays[0]?.[0];
  const out = verdict(params, 'labelValues', invalid === 0, {
    column: label,
    observed: invalid,
    threshold: 'values in {0, 1}',
    message: invalid === 0 ? `labelValues(${label}): 0/1 only` : `labelValues(${label}): ${count(invalid)} rows have a label other than 0/1 (e.g. "${example}"); they are null in the snapshot. Fix the label column or define the label with op and value`,
  });
  const { minPositiveRate: lo, maxPositiveRate: hi } = params;
  for (const split of ['train', 'holdout'] as const) {
    const rate = meta[split].positiveRate;
    if (meta[split].rows === 0) continue;
    const ok = rate !== null && rate >= lo && rate <= hi;
    out.push(
      ...verdict(params, 'positiveRate', ok, {
        column: label,
        split,
        observed: rate === null ? null : round6(rate),
        threshold: `between ${lo} and ${hi}`,
        message: `positiveRate(${label}) on ${split}: ${rate === null ? 'no labels' : pct(rate)}, required between ${pct(lo)} and ${pct(hi)}${ok ? '' : '; a model needs both classes'}`,
      }),
    );
  }
  return out;
}
