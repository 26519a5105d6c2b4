import { describe, expect, it } from 'vitest';
import { checkLabel, type CheckResult } from './check-result';
import { runChecks } from './run-checks';
import { categoricalColumn, contextOf, numericColumn, profileOf, repeat } from '../../test/support/validation-fixtures';

const N = 2000;
const distances = repeat([120, 250, 300, 410, 560, 700, 820, 950, 1200, 1500, 2100, 2500], N);
const origins = repeat(['ATL', 'ORD', 'LAX', 'DFW', 'DEN'], N);
// 20% positives, spread evenly.
const labels = repeat(['0', '0', '0', '0', '1'], N);

const batch = (d: Array<number | null> = distances, o: Array<string | null> = origins, l: Array<string | null> = labels, duplicateRows = 0) =>
  profileOf([numericColumn('distance', d, 'DOUBLE'), categoricalColumn('origin', o), categoricalColumn('label', l, 'INTEGER')], duplicateRows);

const reference = batch();

/** Status per `check(column)`, for the checks that did not pass. */
function problems(checks: CheckResult[]): Record<string, string> {
  return Object.fromEntries(checks.filter((c) => c.status !== 'pass').map((c) => [checkLabel(c), c.status]));
}

describe('validation checks', () => {
  it('passes a batch that looks like its reference', () => {
    const { checks, drift } = runChecks(contextOf(batch(), { reference }));
    expect(problems(checks)).toEqual({});
    expect(drift.map((d) => [d.column, d.method, d.drifted])).toEqual([
      ['distance', 'wasserstein', false],
      ['origin', 'jensenshannon', false],
    ]);
  });

  it('skips the reference checks, and says why, on a first run', () => {
    const { checks } = runChecks(contextOf(batch()));
    expect(problems(checks)).toEqual({ labelRateShift: 'skipped', outliers: 'skipped', drift: 'skipped' });
    expect(checks.find((c) => c.check === 'drift')?.message).toMatch(/no champion yet/);
  });

  describe.each([
    ['a column entirely null', batch(repeat([null], N)), { 'nullRate(distance)': 'fail' }, /nullRate\(distance\): every row is null, allowed <= 5%/],
    [
      '30% of labels flipped',
      batch(distances, origins, labels.map((l, i) => (Math.floor(i / 5) % 10 < 3 ? (l === '1' ? '0' : '1') : l))),
      { 'labelRateShift(label)': 'fail' },
      /labelRateShift\(label\): positive rate 38% vs 20% in the reference, shift 0\.18 > 0\.15; were labels flipped/,
    ],
    [
      '5% of rows with extreme outliers',
      batch(distances.map((d, i) => (i % 20 === 0 ? 1_000_000 : d))),
      // With two features, one drifted column is dataset drift (>= 50%).
      { 'numericRange(distance)': 'fail', 'outliers(distance)': 'fail', 'drift(distance)': 'warn', drift: 'warn' },
      /outliers\(distance\): 5% of values beyond the reference's fences .* excess 5%, allowed <= 1%; this batch reaches 120 to 1000000/,
    ],
    ['20% duplicated rows', batch(distances, origins, labels, 400), { duplicateRows: 'fail' }, /duplicateRows: 20% of rows repeat another row exactly, allowed <= 5%/],
    [
      'a new category dominating a column',
      batch(distances, origins.map((o, i) => (i % 10 < 6 ? 'ZZZ' : o))),
      { 'categoryDomain(origin)': 'fail', 'drift(origin)': 'warn', drift: 'warn' },
      /categoryDomain\(origin\): 60% of values are outside the 5 known values of schema v1 \("ZZZ" 60%\), allowed <= 5%/,
    ],
  ])('%s', (_name, current, expected, message) => {
    it('fails or warns on exactly the checks that should catch it, with an actionable message', () => {
      const { checks } = runChecks(contextOf(current, { reference }));
      expect(problems(checks)).toEqual(expected);
      expect(checks.map((c) => c.message).join('\n')).toMatch(message);
    });
  });

  it('reports text in a number column as a conversion failure with an example', () => {
    const ctx = contextOf(batch(), { reference, meta: { conversionFailures: { distance: { column: 'distance', count: 3, rows: N, example: 'n/a' } }, transforms: { distance: 'double' } } });
    const { checks } = runChecks(ctx);
    expect(problems(checks)).toEqual({ 'typeConversion(distance)': 'fail' });
    expect(checks.find((c) => c.check === 'typeConversion')?.message).toBe(
      'typeConversion(distance): 3 of 2,000 values (0.15%) of source column distance are not a number (e.g. "n/a"), allowed <= 0%; fix those values in the source',
    );
  });

  it('names label values that are not 0/1', () => {
    const ctx = contextOf(batch(), { reference, meta: { conversionFailures: { label: { column: 'is_late', count: 7, rows: N, example: '2' } } } });
    expect(problems(runChecks(ctx).checks)).toEqual({ 'labelValues(label)': 'fail' });
  });

  it('fails a batch with too few rows, and an empty split', () => {
    const small = profileOf([numericColumn('distance', distances.slice(0, 50), 'DOUBLE'), categoricalColumn('origin', origins.slice(0, 50)), categoricalColumn('label', labels.slice(0, 50), 'INTEGER')]);
    const ctx = contextOf(small);
    ctx.meta.holdout = { ...ctx.meta.holdout, rows: 0 };
    expect(problems(runChecks(ctx).checks)).toMatchObject({ rowCount: 'fail', 'rowCount on holdout': 'fail' });
  });

  it('honours severities from the spec: fail to warn, and off', () => {
    const current = batch(repeat([null], N), origins, labels, 400);
    const { checks } = runChecks(contextOf(current, { reference, params: { severity: { duplicateRows: 'warn', nullRate: 'off' } } }));
    expect(problems(checks)).toEqual({ duplicateRows: 'warn' });
    expect(checks.some((c) => c.check === 'nullRate')).toBe(false);
  });

  it('uses statistical tests on small samples and distances on large ones', () => {
    const small = profileOf([numericColumn('distance', distances.slice(0, 600), 'DOUBLE'), categoricalColumn('origin', origins.slice(0, 600)), categoricalColumn('label', labels.slice(0, 600), 'INTEGER')]);
    expect(runChecks(contextOf(small, { reference })).drift.map((d) => d.method)).toEqual(['ks', 'chisquare']);
    const shifted = profileOf([numericColumn('distance', distances.slice(0, 600).map((d) => d + 400), 'DOUBLE'), categoricalColumn('origin', origins.slice(0, 600)), categoricalColumn('label', labels.slice(0, 600), 'INTEGER')]);
    const { drift } = runChecks(contextOf(shifted, { reference }));
    expect(drift.find((d) => d.column === 'distance')).toMatchObject({ method: 'ks', drifted: true });
  });
});
