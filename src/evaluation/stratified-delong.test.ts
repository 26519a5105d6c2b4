import { describe, expect, it } from 'vitest';
import { comparisonSchema, evaluateParamsSchema } from '../pipeline/step-params';
import { comparePaired } from './paired-gate';
import { delongTest } from './paired-tests';
import { stratifiedDelongTest } from './stratified-delong';

/** A deterministic pseudo-random stream (LCG), so the fixtures are the same on every run. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * Two days of flights: day 0 has a delay rate of 40 %, day 1 of 10 %. The champion ranks rows within
 * a day well and knows nothing of the day; the candidate ranks within a day worse but adds a
 * day-level offset (what a model trained up to the holdout's first day learns of its weather).
 */
function twoDays(rowsPerDay: number) {
  const rand = lcg(42);
  const n = 2 * rowsPerDay;
  const labels = new Uint8Array(n);
  const days = new Int32Array(n);
  const champion = new Float64Array(n);
  const candidate = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const day = i < rowsPerDay ? 0 : 1;
    days[i] = 11_392 + day;
    labels[i] = rand() < (day === 0 ? 0.4 : 0.1) ? 1 : 0;
    champion[i] = (labels[i] ? 0.3 : 0) + rand();
    candidate[i] = (labels[i] ? 0.25 : 0) + rand() + (day === 0 ? 0.5 : 0);
  }
  return { labels, days, champion, candidate };
}

describe('stratifiedDelongTest', () => {
  it('with one stratum is DeLong\'s test itself', () => {
    const h = twoDays(2000);
    const one = new Int32Array(h.labels.length).fill(7);
    const s = stratifiedDelongTest(h.candidate, h.champion, h.labels, one);
    const d = delongTest(h.candidate, h.champion, h.labels);
    expect(s.difference).toBeCloseTo(d.difference, 12);
    expect(s.standardError).toBeCloseTo(d.standardError, 12);
    expect(s).toMatchObject({ strata: 1, skippedStrata: 0, skippedRows: 0 });
  });

  it('combines the days as Σ w·Δ with variance Σ w²·Var, w the day\'s share of rows', () => {
    const h = twoDays(1500);
    const s = stratifiedDelongTest(h.candidate, h.champion, h.labels, h.days);
    const day = (k: number) => {
      const idx = [...h.days.keys()].filter((i) => h.days[i] === 11_392 + k);
      return delongTest(Float64Array.from(idx, (i) => h.candidate[i]), Float64Array.from(idx, (i) => h.champion[i]), Uint8Array.from(idx, (i) => h.labels[i]));
    };
    const [d0, d1] = [day(0), day(1)];
    expect(s.difference).toBeCloseTo(0.5 * d0.difference + 0.5 * d1.difference, 12);
    expect(s.standardError).toBeCloseTo(Math.sqrt(0.25 * d0.standardError ** 2 + 0.25 * d1.standardError ** 2), 12);
    expect(s.aucA).toBeCloseTo(0.5 * d0.aucA + 0.5 * d1.aucA, 12);
    expect(s.strata).toBe(2);
  });

  it('sees through a candidate that wins the pooled AUC only by knowing which day is worse', () => {
    const h = twoDays(3000);
    const pooled = delongTest(h.candidate, h.champion, h.labels);
    const within = stratifiedDelongTest(h.candidate, h.champion, h.labels, h.days);
    expect(pooled.difference).toBeGreaterThan(0);
    expect(within.difference).toBeLessThan(0);
    // The gate: pooled, the default superiority test blesses it; within days it does not.
    const spec = comparisonSchema.parse({});
    expect(comparePaired(spec, h.candidate, h.champion, h.labels, 0.5).passed).toBe(true);
    const byDay = comparePaired(comparisonSchema.parse({ stratify: 'day' }), h.candidate, h.champion, h.labels, 0.5, h.days);
    expect(byDay).toMatchObject({ method: 'DeLong within days', passed: false, strata: { by: 'day', used: 2, skipped: 0, skippedRows: 0 } });
    expect(byDay.improvement).toBeCloseTo(within.difference, 12);
    expect(byDay.reason).toMatch(/^superiority not shown/);
  });

  it('leaves out days with one class, counting them and their rows', () => {
    const h = twoDays(1000);
    const days = Int32Array.from(h.days);
    const labels = Uint8Array.from(h.labels);
    // A third "day" of 50 rows, all on time.
    const extra = 50;
    const all = (a: ArrayLike<number>, fill: number) => Float64Array.from([...Array.from(a), ...Array<number>(extra).fill(fill)]);
    const s = stratifiedDelongTest(all(h.candidate, 0.3), all(h.champion, 0.3), Uint8Array.from([...labels, ...Array<number>(extra).fill(0)]), Int32Array.from([...days, ...Array<number>(extra).fill(99)]));
    expect(s).toMatchObject({ strata: 2, skippedStrata: 1, skippedRows: extra });
    expect(s.difference).toBeCloseTo(stratifiedDelongTest(h.candidate, h.champion, labels, days).difference, 12);
  });

  it('leaves out days with a single row of a class: their DeLong variance term would be 0, not small', () => {
    const h = twoDays(1000);
    const extra = 40;
    // A third day of 40 flights, one of them late, which the candidate ranks first.
    const cand = Float64Array.from([...Array.from(h.candidate), ...Array.from({ length: extra }, (_, i) => (i === 0 ? 0.9 : 0.1 + i / 1000))]);
    const champ = Float64Array.from([...Array.from(h.champion), ...Array.from({ length: extra }, (_, i) => 0.1 + i / 1000)]);
    const labels = Uint8Array.from([...Array.from(h.labels), ...Array.from({ length: extra }, (_, i) => (i === 0 ? 1 : 0))]);
    const days = Int32Array.from([...Array.from(h.days), ...Array<number>(extra).fill(99)]);
    expect(stratifiedDelongTest(cand, champ, labels, days)).toMatchObject({ strata: 2, skippedStrata: 1, skippedRows: extra });
  });

  it('refuses rows that do not line up, and a holdout where no day holds both classes', () => {
    const h = twoDays(100);
    expect(() => stratifiedDelongTest(h.candidate, h.champion, h.labels, h.days.subarray(1))).toThrow(/199 strata for 200 labels/);
    const zeros = new Uint8Array(200);
    expect(() => stratifiedDelongTest(h.candidate, h.champion, zeros, h.days)).toThrow(/none of 2 strata holds both classes/);
  });
});

describe('comparison.stratify in the spec', () => {
  it('is unset by default: one pooled comparison', () => {
    expect(comparisonSchema.parse({}).stratify).toBeUndefined();
    expect(evaluateParamsSchema.parse({}).comparison).not.toHaveProperty('stratify');
  });

  it('refuses stratify with a per-row metric, naming the field and the metric', () => {
    const r = evaluateParamsSchema.safeParse({ comparison: { metric: 'logLoss', stratify: 'day' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['comparison', 'stratify']);
    expect(r.error!.issues[0].message).toMatch(/needs metric: auc; got metric: logLoss/);
    expect(evaluateParamsSchema.safeParse({ comparison: { stratify: 'week' } }).success).toBe(false);
  });

  it('fails the comparison (never passes it) when the holdout has no days to stratify by', () => {
    const h = twoDays(100);
    expect(() => comparePaired(comparisonSchema.parse({ stratify: 'day' }), h.candidate, h.champion, h.labels, 0.5)).toThrow(/no event_time column/);
  });
});
