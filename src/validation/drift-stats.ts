/**
 * The statistics behind drift detection, as plain functions of distributions. Natural logarithms
 * throughout, as scipy and Evidently use by default, so thresholds carry over.
 */
import { mergedCdf, bucketValue, type NumericHistogram } from './histogram';

/** Jensen–Shannon distance (the square root of the divergence, natural log): 0 same, sqrt(ln 2) ≈ 0.833 disjoint. */
export function jensenShannonDistance(p: number[], q: number[]): number {
  const sp = sum(p);
  const sq = sum(q);
  if (sp === 0 || sq === 0) return 0;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log(a / m);
    if (b > 0) js += 0.5 * b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, js));
}

/**
 * Population Stability Index, sum of (q - p)·ln(q / p) over bins, with empty bins counted as
 * 0.0001 (Evidently's convention) so a category seen on one side only does not give infinity.
 */
export function populationStabilityIndex(p: number[], q: number[], empty = 0.0001): number {
  let psi = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] > 0 ? p[i] : empty;
    const b = q[i] > 0 ? q[i] : empty;
    psi += (b - a) * Math.log(b / a);
  }
  return psi;
}

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical CDFs. */
export function ksStatistic(a: NumericHistogram, b: NumericHistogram): number {
  let d = 0;
  for (const { fa, fb } of mergedCdf(a, b)) d = Math.max(d, Math.abs(fa - fb));
  return d;
}

/**
 * p-value of the two-sample KS statistic `d` for sample sizes n and m: the asymptotic Kolmogorov
 * distribution with Stephens' small-sample correction (Numerical Recipes' `probks`).
 */
export function ksPValue(d: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  const en = Math.sqrt((n * m) / (n + m));
  const lambda = (en + 0.12 + 0.11 / en) * d;
  if (lambda < 1e-3) return 1;
  let total = 0;
  let sign = 1;
  for (let j = 1; j <= 100; j++) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda);
    total += term;
    if (Math.abs(term) < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * total));
}

/** First Wasserstein distance between two histograms on the same grid (exact for exact histograms). */
export function wassersteinDistance(a: NumericHistogram, b: NumericHistogram): number {
  const cdf = mergedCdf(a, b);
  let w = 0;
  for (let i = 0; i + 1 < cdf.length; i++) {
    w += Math.abs(cdf[i].fa - cdf[i].fb) * (bucketValue(a, cdf[i + 1].key) - bucketValue(a, cdf[i].key));
  }
  return w;
}

/**
 * Chi-squared test of homogeneity for two count vectors over the same categories (a 2×k
 * contingency table, no continuity correction). Categories empty on both sides are dropped.
 * For two categories it equals the two-proportion z-test Evidently uses for binary columns.
 */
export function chiSquareTest(a: number[], b: number[]): { statistic: number; df: number; pValue: number } {
  const na = sum(a);
  const nb = sum(b);
  const n = na + nb;
  let statistic = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    const col = a[i] + b[i];
    if (col === 0) continue;
    k++;
    const ea = (na * col) / n;
    const eb = (nb * col) / n;
    if (ea > 0) statistic += (a[i] - ea) ** 2 / ea;
    if (eb > 0) statistic += (b[i] - eb) ** 2 / eb;
  }
  const df = Math.max(1, k - 1);
  if (na === 0 || nb === 0 || k < 2) return { statistic: 0, df, pValue: 1 };
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

/** Two-sided p-value of a standard normal z. */
export const normalP = (z: number): number => (Number.isFinite(z) ? chiSquareSurvival(z * z, 1) : 0);

/** P(X > x) for a chi-squared variable with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

/** Upper regularized incomplete gamma Q(a, x) (Numerical Recipes: series below a + 1, continued fraction above). */
export function regularizedGammaQ(a: number, x: number): number {
  if (x < a + 1) return 1 - gammaSeries(a, x);
  return gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let total = del;
  for (let i = 0; i < 1000; i++) {
    ap += 1;
    del *= x / ap;
    total += del;
    if (Math.abs(del) < Math.abs(total) * 1e-15) break;
  }
  return total * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = 0.99999999999980993;
  for (let i = 0; i < LANCZOS.length; i++) s += LANCZOS[i] / (z + i + 1);
  const t = z + LANCZOS.length - 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
