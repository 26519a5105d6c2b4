/**
 * Checks of this batch against the schema in force: columns present and typed as expected,
 * values that converted, null rates, numeric ranges and categorical domains.
 */
import { count, num, pct, round6, verdict, type CheckContext, type CheckResult } from './check-result';
import { typeFamily } from './column-types';
import { countOutside, histogramTotal } from './histogram';

const UPDATE_HINT = 'if the change is intended, accept it with validate.with.schema.update: true';

export function columnChecks(ctx: CheckContext): CheckResult[] {
  const { params, schema, meta } = ctx;
  const v = schema.version;
  const source = new Map((meta.train.source?.columns ?? []).map((c) => [c.name, c.type]));
  const snapshot = new Map(ctx.currentTypes.map((c) => [c.name, c.type]));
  const knownSource = new Set(schema.source.columns.map((c) => c.name));

  const missing = [
    ...schema.source.columns.filter((c) => meta.train.source && !source.has(c.name)).map((c) => `source column ${c.name}`),
    ...Object.keys(schema.columns).filter((n) => !snapshot.has(n)).map((n) => `snapshot column ${n}`),
  ];
  const retyped = [
    ...schema.source.columns
      .filter((c) => source.has(c.name) && typeFamily(source.get(c.name)!) !== typeFamily(c.type))
      .map((c) => `source column ${c.name} is ${source.get(c.name)}, schema v${v} has ${c.type}`),
    ...Object.entries(schema.columns)
      .filter(([n, c]) => snapshot.has(n) && typeFamily(snapshot.get(n)!) !== typeFamily(c.type))
      .map(([n, c]) => `column ${n} is ${snapshot.get(n)}, schema v${v} has ${c.type}`),
  ];
  const extra = [
    ...[...source].filter(([n]) => !knownSource.has(n) && schema.source.columns.length > 0).map(([n, t]) => `source column ${n} (${t})`),
    ...[...snapshot].filter(([n]) => n !== 'event_time' && !schema.columns[n]).map(([n, t]) => `snapshot column ${n} (${t})`),
  ];
  return [
    ...verdict(params, 'requiredColumns', missing.length === 0, {
      observed: missing.length ? missing.join(', ') : 'all present',
      threshold: 'every column of the schema',
      message: missing.length ? `requiredColumns: schema v${v} requires ${missing.join(', ')}, missing from this batch; restore them, or ${UPDATE_HINT}` : 'requiredColumns: all present',
    }),
    ...verdict(params, 'columnTypes', retyped.length === 0, {
      observed: retyped.length ? retyped.join('; ') : 'as in the schema',
      threshold: 'same type family as the schema',
      message: retyped.length ? `columnTypes: ${retyped.join('; ')}; a number column read as text usually means a malformed value in the source, else ${UPDATE_HINT}` : 'columnTypes: as in the schema',
    }),
    ...verdict(params, 'unexpectedColumns', extra.length === 0, {
      observed: extra.length ? extra.join(', ') : 'none',
      threshold: 'no columns outside the schema',
      message: extra.length ? `unexpectedColumns: ${extra.join(', ')} not in schema v${v}; ${UPDATE_HINT}` : 'unexpectedColumns: none',
    }),
  ];
}

export function conversionChecks(ctx: CheckContext): CheckResult[] {
  const { params, meta } = ctx;
  const max = params.maxConversionFailureFraction;
  const failures = Object.entries({ ...meta.train.conversionFailures }).filter(([name]) => name !== meta.train.label);
  if (failures.length === 0) {
    return verdict(params, 'typeConversion', true, { observed: 0, threshold: `<= ${max}`, message: 'typeConversion: every source value converted' });
  }
  return failures.flatMap(([name, f]) => {
    const share = f.rows ? f.count / f.rows : 0;
    const target = name === 'event_time' ? 'a timestamp' : meta.train.transforms?.[name] === 'double' ? 'a number' : 'a timestamp';
    return verdict(params, 'typeConversion', share <= max, {
      column: name,
      observed: round6(share),
      threshold: `<= ${max}`,
      message: `typeConversion(${name}): ${count(f.count)} of ${count(f.rows)} values (${pct(share)}) of source column ${f.column} are not ${target} (e.g. "${f.example}"), allowed <= ${pct(max)}; fix those values in the source`,
    });
  });
}

export function nullChecks(ctx: CheckContext): CheckResult[] {
  const { params, schema, current, meta } = ctx;
  const out = Object.values(current.columns).flatMap((p) => {
    const max = schema.columns[p.name]?.maxNullFraction ?? params.maxNullFraction;
    const share = p.rows ? p.nulls / p.rows : 0;
    const what = share === 1 ? 'every row is null' : `${pct(share)} of ${count(p.rows)} rows are null${p.kind === 'numeric' ? ' or NaN' : ''}`;
    return verdict(params, 'nullRate', share <= max, {
      column: p.name,
      observed: round6(share),
      threshold: `<= ${max}`,
      message: `nullRate(${p.name}): ${what}, allowed <= ${pct(max)}`,
    });
  });
  if (meta.train.timeColumn === null) {
    // Nothing orders the rows: say so in the report rather than pass a check that did not run.
    out.push(
      ...verdict(params, 'nullRate', undefined, {
        column: 'event_time',
        observed: null,
        threshold: '-',
        message: 'nullRate(time): skipped, the source has no timeColumn: rows were split by a hash of each row, and windows, replay and the time split do not apply',
      }),
    );
    return out;
  }
  const lost = meta.train.rowsWithoutTime ?? 0;
  const total = meta.train.sourceRows ?? 0;
  if (lost > 0 && total > 0) {
    const share = lost / total;
    out.push(
      ...verdict(params, 'nullRate', share <= params.maxNullFraction, {
        column: meta.train.timeColumn ?? 'event_time',
        observed: round6(share),
        threshold: `<= ${params.maxNullFraction}`,
        message: `nullRate(${meta.train.timeColumn}): ${count(lost)} of ${count(total)} source rows (${pct(share)}) have no valid time and are left out of every window, allowed <= ${pct(params.maxNullFraction)}`,
      }),
    );
  }
  return out;
}

export function rangeChecks(ctx: CheckContext): CheckResult[] {
  const { params, schema, current } = ctx;
  const max = params.maxOutOfRangeFraction;
  return Object.values(current.columns).flatMap((p) => {
    const col = schema.columns[p.name];
    if (p.kind !== 'numeric' || !col || col.role === 'label' || (col.min === undefined && col.max === undefined) || !p.histogram) return [];
    const lo = col.min ?? -Infinity;
    const hi = col.max ?? Infinity;
    const values = histogramTotal(p.histogram);
    // Footer min/max are exact: inside the range means no value is outside.
    const inside = p.min != null && p.max != null && p.min >= lo && p.max <= hi;
    const share = inside || values === 0 ? 0 : countOutside(p.histogram, lo, hi) / values;
    return verdict(params, 'numericRange', share <= max, {
      column: p.name,
      observed: round6(share),
      threshold: `<= ${max}`,
      message: `numericRange(${p.name}): ${pct(share)} of values outside [${num(lo)}, ${num(hi)}] of schema v${schema.version} (this batch: ${p.min ?? '-'} to ${p.max ?? '-'}), allowed <= ${pct(max)}`,
    });
  });
}

export function domainChecks(ctx: CheckContext): CheckResult[] {
  const { params, schema, current } = ctx;
  const max = params.maxUnknownCategoryFraction;
  return Object.values(current.columns).flatMap((p) => {
    const col = schema.columns[p.name];
    if (p.kind !== 'categorical' || !col?.domain || col.role === 'label' || !p.categories) return [];
    const known = new Set(col.domain);
    const values = p.rows - p.nulls;
    const unknown = p.categories.filter(([v]) => !known.has(v));
    const share = values ? unknown.reduce((s, [, c]) => s + c, 0) / values : 0;
    const examples = unknown.slice(0, 3).map(([v, c]) => `"${v}" ${pct(c / values)}`).join(', ');
    return verdict(params, 'categoryDomain', share <= max, {
      column: p.name,
      observed: round6(share),
      threshold: `<= ${max}`,
      message: `categoryDomain(${p.name}): ${pct(share)} of values are outside the ${count(known.size)} known values of schema v${schema.version}${examples ? ` (${examples})` : ''}, allowed <= ${pct(max)}`,
    });
  });
}
