import { describe, expect, it } from 'vitest';
import { comparisonSchema, evaluateParamsSchema } from '../pipeline/step-params';
import { comparePaired } from './paired-gate';

/** A holdout where `better` ranks one more positive above a negative than `worse` on a block of rows. */
function holdout(rows: number, flips: number) {
  const labels = new Uint8Array(rows);
  const champion = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = i % 3 === 0 ? 1 : 0;
    // A weak champion: positives score a little higher on average, with overlap.
    champion[i] = (labels[i] ? 0.45 : 0.35) + ((i * 7919) % 100) / 500;
  }
  // The candidate fixes `flips` positives the champion scored lowest.
  const candidate = Float32Array.from(champion);
  let fixed = 0;
  for (let i = 0; i < rows && fixed < flips; i++) {
    if (labels[i] && champion[i] < 0.5) {
      candidate[i] = 0.95;
      fixed++;
    }
  }
  return { labels, champion, candidate };
}

const spec = (over: Partial<ReturnType<typeof comparisonSchema.parse>> = {}) => comparisonSchema.parse(over);

describe('comparePaired', () => {
  it('by default (superiority, margin 0, alpha 0.05) blesses a clear improvement and reports DeLong figures', () => {
    const h = holdout(3000, 300);
    const c = comparePaired(spec(), h.candidate, h.champion, h.labels, 0.5);
    expect(c).toMatchObject({ metric: 'auc', test: 'superiority', method: 'DeLong', bound: 0, passed: true, rows: 3000 });
    expect(c.improvement).toBeCloseTo(c.candidate - c.champion, 12);
    expect(c.interval.lower).toBeGreaterThan(0);
    expect(c.pValue).toBeLessThan(0.05);
    expect(c.reason).toMatch(/^superiority: better than the champion by more than 0 \(auc improvement 0\.\d{4}, 95% lower bound 0\.\d{4} vs 0\.0000, p = /);
  });

  it('by default never blesses a candidate whose point estimate is worse, whatever the noise', () => {
    const h = holdout(3000, 40);
    const c = comparePaired(spec(), h.champion, h.candidate, h.labels, 0.5);
    expect(c.improvement).toBeLessThan(0);
    expect(c.passed).toBe(false);
    expect(c.pValue).toBeGreaterThan(0.5);
    expect(c.reason).toMatch(/^superiority not shown/);
  });

  it('does not bless a real but small improvement the holdout cannot distinguish from noise', () => {
    const h = holdout(300, 1);
    const c = comparePaired(spec(), h.candidate, h.champion, h.labels, 0.5);
    expect(c.improvement).toBeGreaterThan(0);
    expect(c.passed).toBe(false);
  });

  it('non-inferiority passes the same model (exact difference 0, no variance) within the margin, superiority does not', () => {
    const h = holdout(600, 0);
    expect(comparePaired(spec({ test: 'non-inferiority', margin: 0.005 }), h.champion, h.champion, h.labels, 0.5)).toMatchObject({ passed: true, standardError: 0, pValue: 0, bound: -0.005 });
    expect(comparePaired(spec(), h.champion, h.champion, h.labels, 0.5)).toMatchObject({ passed: false, pValue: 1 });
  });

  it('a margin makes superiority harder: better by at least delta', () => {
    const h = holdout(3000, 300);
    const plain = comparePaired(spec(), h.candidate, h.champion, h.labels, 0.5);
    const strict = comparePaired(spec({ margin: plain.improvement }), h.candidate, h.champion, h.labels, 0.5);
    expect(strict.passed).toBe(false);
    expect(strict.pValue).toBeCloseTo(0.5, 6);
  });

  it.each(['logLoss', 'brier', 'accuracy'] as const)('judges %s by the paired test on per-row values, with lower losses counted as improvement', (metric) => {
    const h = holdout(3000, 300);
    const c = comparePaired(spec({ metric }), h.candidate, h.champion, h.labels, 0.5);
    expect(c.method).toBe('paired z-test on per-row values');
    expect(c.improvement).toBeGreaterThan(0);
    expect(c.improvement).toBeCloseTo(metric === 'accuracy' ? c.candidate - c.champion : c.champion - c.candidate, 12);
    expect(c.passed).toBe(true);
    expect(comparePaired(spec({ metric }), h.champion, h.candidate, h.labels, 0.5).passed).toBe(false);
  });

  it('refuses to compare rows that do not line up', () => {
    const h = holdout(30, 0);
    expect(() => comparePaired(spec(), h.candidate.slice(1), h.champion, h.labels, 0.5)).toThrow(/same rows/);
  });
});

describe('the comparison spec', () => {
  it('defaults to a significant AUC improvement at alpha 0.05', () => {
    expect(evaluateParamsSchema.parse({}).comparison).toEqual({ metric: 'auc', test: 'superiority', margin: 0, alpha: 0.05 });
  });

  it.each([
    [{ alpha: 0 }, 'alpha'],
    [{ alpha: 0.7 }, 'alpha'],
    [{ margin: -0.01 }, 'margin'],
    [{ test: 'better' }, 'test'],
    [{ metric: 'msPerRow' }, 'metric'],
  ])('rejects %o naming the field', (bad, field) => {
    const r = evaluateParamsSchema.safeParse({ comparison: bad });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(field);
  });
});
