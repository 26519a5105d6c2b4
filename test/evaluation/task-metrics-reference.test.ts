/**
 * Multiclass and regression metrics against scikit-learn and NumPy (test/evaluation/task-metrics-reference.py)
 * on seeded cases: unbalanced classes, a class never predicted (case 4), a class absent (case 2) from the rows, tied
 * probabilities, targets near zero, and a target of exactly zero (MAPE undefined).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMulticlassMetrics } from '../../src/evaluation/multiclass-metrics';
import { computeRegressionMetrics } from '../../src/evaluation/regression-metrics';
import { mulberry32 } from '../../src/training/logistic-regression';

const ROOT = path.join(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** A seeded generator so every run compares the same cases. */
const rng = mulberry32;

interface MulticlassCase { probabilities: number[][]; labels: number[]; classes: number }
interface RegressionCase { predictions: number[]; targets: number[] }

/** Softmax of a noisy signal for the true class; `absent` never occurs as a label; `decimals` makes ties. */
function multiclassCase(seed: number, rows: number, classes: number, priors: number[], signal: number, decimals: number, absent = -1, muted = -1): MulticlassCase {
  const r = rng(seed);
  const labels: number[] = [];
  const probabilities: number[][] = [];
  for (let i = 0; i < rows; i++) {
    let u = r() * priors.reduce((a, b) => a + b, 0);
    let y = 0;
    while (u > priors[y] && y < classes - 1) u -= priors[y++];
    if (y === absent) y = (y + 1) % classes;
    const logits = Array.from({ length: classes }, (_, k) => (k === y ? signal : 0) + 2 * (r() - 0.5) - (k === muted ? 5 : 0));
    const max = Math.max(...logits);
    const e = logits.map((z) => Math.exp(z - max));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((x) => Number((x / s).toFixed(decimals)));
    // Renormalised after rounding, so every row sums to 1 as scikit-learn's log_loss requires.
    const total = p.reduce((a, b) => a + b, 0);
    probabilities.push(p.map((x) => x / total));
    labels.push(y);
  }
  return { probabilities, labels, classes };
}

function regressionCase(seed: number, rows: number, scale: number, withZero: boolean): RegressionCase {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const targets: number[] = [];
  const predictions: number[] = [];
  for (let i = 0; i < rows; i++) {
    const y = scale * (1 + gauss());
    targets.push(withZero && i === 7 ? 0 : y);
    predictions.push(y + 0.3 * scale * gauss() + 0.05 * scale);
  }
  return { targets, predictions };
}

const multiclassCases = [
  multiclassCase(1, 50, 3, [1, 1, 1], 1.5, 2),
  multiclassCase(2, 2000, 5, [10, 3, 1, 0.5, 6], 1.0, 3),
  multiclassCase(3, 800, 4, [1, 1, 1, 1], 0.2, 1, 2),
  multiclassCase(4, 3000, 6, [5, 4, 3, 2, 1, 0.2], 2.5, 6),
  multiclassCase(8, 500, 3, [2, 2, 1], 1.0, 4, -1, 2),
];
const regressionCases = [regressionCase(5, 40, 1, false), regressionCase(6, 5000, 30, false), regressionCase(7, 300, 0.01, true)];

const reference = JSON.parse(
  execFileSync(PYTHON, [path.join(__dirname, 'task-metrics-reference.py')], {
    input: JSON.stringify({ multiclass: multiclassCases, regression: regressionCases }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }),
) as {
  multiclass: Array<{ logLoss: number; accuracy: number; macroF1: number; weightedF1: number; recall: number[]; precision: number[]; confusion: number[][] }>;
  regression: Array<{ rmse: number; mae: number; r2: number; mape: number | null; meanResidual: number; quantiles: number[] }>;
};

describe('multiclass metrics, against scikit-learn', () => {
  it.each(multiclassCases.map((c, i) => [i, c] as const))('case %i: log loss, accuracy, macro/weighted F1, per-class recall and precision, confusion matrix', (i, c) => {
    const want = reference.multiclass[i];
    const got = computeMulticlassMetrics(Float64Array.from(c.probabilities.flat()), c.labels, c.classes);
    expect(got.logLoss).toBeCloseTo(want.logLoss, 12);
    expect(got.accuracy).toBeCloseTo(want.accuracy, 14);
    expect(got.macroF1).toBeCloseTo(want.macroF1, 12);
    expect(got.weightedF1).toBeCloseTo(want.weightedF1, 12);
    got.perClass.forEach((k, j) => {
      expect(k.recall).toBeCloseTo(want.recall[j], 12);
      expect(k.precision).toBeCloseTo(want.precision[j], 12);
    });
    expect(got.confusion).toEqual(want.confusion);
  });

  it('the cases exercise what they claim: ties, an absent class, a never-predicted class', () => {
    const tied = multiclassCases[2].probabilities.filter((p) => p.filter((x) => x === Math.max(...p)).length > 1).length;
    expect(tied).toBeGreaterThan(10);
    expect(computeMulticlassMetrics(multiclassCases[2].probabilities.flat(), multiclassCases[2].labels, 4).perClass[2].support).toBe(0);
    const muted = computeMulticlassMetrics(multiclassCases[4].probabilities.flat(), multiclassCases[4].labels, 3);
    expect(muted.confusion.map((row) => row[2])).toEqual([0, 0, 0]);
    expect(muted.perClass[2].support).toBeGreaterThan(50);
  });

  it('refuses a label outside the classes and a probability matrix of the wrong size', () => {
    expect(() => computeMulticlassMetrics([0.5, 0.5], [2], 2)).toThrow(/label 2 at row 0 is not a class index in \[0, 2\)/);
    expect(() => computeMulticlassMetrics([0.5, 0.5, 0.1], [1], 2)).toThrow(/probabilities has 3 entries, expected 1 rows × 2 classes/);
  });
});

describe('regression metrics, against scikit-learn and numpy.quantile', () => {
  it.each(regressionCases.map((c, i) => [i, c] as const))('case %i: RMSE, MAE, R², MAPE, mean residual, residual quantiles', (i, c) => {
    const want = reference.regression[i];
    const got = computeRegressionMetrics(c.predictions, c.targets);
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(b)));
    close(got.rmse, want.rmse);
    close(got.mae, want.mae);
    close(got.r2, want.r2);
    close(got.meanResidual, want.meanResidual);
    if (want.mape === null) expect(got.mape).toBeNull();
    else close(got.mape!, want.mape);
    Object.values(got.residualQuantiles).forEach((q, j) => close(q, want.quantiles[j]));
  });

  it('leaves MAPE undefined when a target is zero and R² undefined when every target is equal', () => {
    expect(computeRegressionMetrics([1, 2], [0, 2]).mape).toBeNull();
    expect(computeRegressionMetrics([1, 2], [3, 3]).r2).toBeNaN();
    expect(() => computeRegressionMetrics([NaN], [1])).toThrow(/row 0 has target 1 and prediction NaN/);
  });
});
