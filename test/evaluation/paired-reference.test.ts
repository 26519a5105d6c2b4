/**
 * The paired tests against figures computed by someone else's code: scikit-learn's
 * roc_auc_score and log_loss, scipy's normal distribution and ttest_rel, and DeLong's
 * covariance from the O(m·n) kernel definition in numpy (test/evaluation/paired-reference.py),
 * on correlated models with tied scores and unbalanced classes.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile, normalSf } from '../../src/evaluation/normal';
import { computePerRow } from '../../src/evaluation/per-row';
import { delongTest, pairedMean } from '../../src/evaluation/paired-tests';
import { mulberry32 } from '../../src/training/logistic-regression';

const ROOT = path.join(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** A seeded generator so every run compares the same cases. */
const rng = mulberry32;

/** Two models sharing a signal, so their AUCs are correlated; `decimals` makes ties. */
function makeCase(seed: number, rows: number, positiveRate: number, decimals: number) {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const labels: number[] = [];
  const scoresA: number[] = [];
  const scoresB: number[] = [];
  const round = (x: number) => Number(x.toFixed(decimals));
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  for (let i = 0; i < rows; i++) {
    const y = r() < positiveRate ? 1 : 0;
    const shared = gauss();
    labels.push(y);
    scoresA.push(round(sigmoid(1.1 * y + shared + 0.6 * gauss() - 0.5)));
    scoresB.push(round(sigmoid(0.8 * y + shared + 0.9 * gauss() - 0.5)));
  }
  return { labels, scoresA, scoresB };
}

const cases = [makeCase(1, 40, 0.4, 1), makeCase(2, 600, 0.2, 2), makeCase(3, 3000, 0.25, 3), makeCase(4, 1500, 0.05, 6)];
const normalPoints = [-8, -3.2, -1.96, -0.3, 0, 0.4, 1.6448536269514722, 2.5, 6];
const quantilePoints = [1e-10, 0.001, 0.025, 0.05, 0.3, 0.5, 0.8, 0.95, 0.975, 0.999999];

interface Reference {
  cases: {
    aucA: number; aucB: number; varianceA: number; varianceB: number; covariance: number;
    standardError: number; z: number; pTwoSided: number; logLossA: number; logLossB: number; logLossPairedT: number;
  }[];
  normal: { cdf: number[]; sf: number[]; ppf: number[] };
}

const reference: Reference = JSON.parse(
  execFileSync(PYTHON, [path.join(__dirname, 'paired-reference.py')], { input: JSON.stringify({ cases, normalPoints, quantilePoints }), encoding: 'utf8' }),
);

describe('DeLong test, against scikit-learn AUCs and the kernel definition of the covariance', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i matches AUCs, variances, covariance, z and p', (i, c) => {
    const want = reference.cases[i];
    const got = delongTest(c.scoresA, c.scoresB, c.labels);
    expect(got.aucA).toBeCloseTo(want.aucA, 12);
    expect(got.aucB).toBeCloseTo(want.aucB, 12);
    expect(got.varianceA).toBeCloseTo(want.varianceA, 12);
    expect(got.varianceB).toBeCloseTo(want.varianceB, 12);
    expect(got.covariance).toBeCloseTo(want.covariance, 12);
    expect(got.standardError).toBeCloseTo(want.standardError, 12);
    const z = got.difference / got.standardError;
    expect(z).toBeCloseTo(want.z, 9);
    expect(2 * normalSf(Math.abs(z))).toBeCloseTo(want.pTwoSided, 9);
  });

  it('the correlated models are really correlated, so the paired SE is below the unpaired one', () => {
    const got = delongTest(cases[2].scoresA, cases[2].scoresB, cases[2].labels);
    expect(got.covariance).toBeGreaterThan(0);
    expect(got.standardError).toBeLessThan(Math.sqrt(got.varianceA + got.varianceB));
  });
});

describe('paired test on per-row log losses, against scipy.stats.ttest_rel and sklearn log_loss', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const y = Uint8Array.from(c.labels);
    const a = computePerRow('logLoss', Float64Array.from(c.scoresA), y, 0.5);
    const b = computePerRow('logLoss', Float64Array.from(c.scoresB), y, 0.5);
    const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(a)).toBeCloseTo(reference.cases[i].logLossA, 10);
    expect(mean(b)).toBeCloseTo(reference.cases[i].logLossB, 10);
    const p = pairedMean(b, a);
    expect(p.mean / p.standardError).toBeCloseTo(reference.cases[i].logLossPairedT, 9);
  });
});

describe('normal distribution, against scipy.stats.norm', () => {
  it.each(normalPoints.map((x, i) => [x, i] as const))('cdf and sf at %d', (x, i) => {
    expect(normalCdf(x)).toBeCloseTo(reference.normal.cdf[i], 13);
    // Tails are compared relatively: 1e-16 and 2e-16 differ although both are "close to 0".
    expect(Math.abs(normalSf(x) - reference.normal.sf[i]) / reference.normal.sf[i]).toBeLessThan(1e-12);
  });

  it.each(quantilePoints.map((p, i) => [p, i] as const))('quantile at %d', (p, i) => {
    expect(normalQuantile(p)).toBeCloseTo(reference.normal.ppf[i], 10);
  });
});
