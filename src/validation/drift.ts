/**
 * Drift of one column between the reference data (the champion's training snapshot) and this
 * batch. Method choice follows Evidently's defaults: statistical tests on small samples, distance
 * measures on large ones, where a test would flag every negligible difference. See ARCHITECTURE.md.
 */
import type { ValidateParams } from '../pipeline/step-params';
import { chiSquareTest, jensenShannonDistance, ksPValue, ksStatistic, populationStabilityIndex, wassersteinDistance } from './drift-stats';
import { alignCategories, histogramQuantile, histogramStd, shareByEdges, type CategoryCounts, type NumericHistogram } from './histogram';
import type { ColumnProfile } from './profile';

export type DriftMethod = 'ks' | 'chisquare' | 'wasserstein' | 'jensenshannon' | 'psi';

export interface ColumnDrift {
  column: string;
  method: DriftMethod;
  /** p-value for tests (ks, chisquare), distance or index otherwise. */
  value: number;
  threshold: number;
  /** Tests: drift when value < threshold. Distances: drift when value >= threshold. */
  direction: 'below' | 'at-or-above';
  drifted: boolean;
  referenceValues: number;
  currentValues: number;
}

/** Default thresholds, as in Evidently: p < 0.05 for tests, 0.1 for distances and PSI. */
const DEFAULT_THRESHOLD: Record<DriftMethod, number> = { ks: 0.05, chisquare: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1 };
/** Numeric columns with this few distinct reference values are compared as categories. */
const FEW_VALUES = 5;

export function columnDrift(ref: ColumnProfile, cur: ColumnProfile, options: ValidateParams['drift']): ColumnDrift | undefined {
  if (ref.kind !== cur.kind) return undefined;
  const n = ref.rows - ref.nulls;
  const m = cur.rows - cur.nulls;
  if (n === 0 || m === 0) return undefined;
  const small = Math.min(n, m) <= options.smallSampleRows;
  if (ref.kind === 'numeric' && ref.histogram && cur.histogram && ref.histogram.bins.length > FEW_VALUES) {
    const method: DriftMethod = options.numeric === 'auto' ? (small ? 'ks' : 'wasserstein') : options.numeric;
    return result(ref.name, method, numericStatistic(method, ref.histogram, cur.histogram, n, m), options.threshold, n, m);
  }
  const counts = (p: ColumnProfile): CategoryCounts => p.categories ?? (p.histogram?.bins.map(([k, c]): [string, number] => [String(k), c]) ?? []);
  const { pa, pb } = alignCategories(counts(ref), counts(cur));
  const requested = options.categorical === 'auto' ? (small ? 'chisquare' : 'jensenshannon') : options.categorical;
  let value: number;
  if (requested === 'chisquare') value = chiSquareTest(pa.map((x) => x * n), pb.map((x) => x * m)).pValue;
  else if (requested === 'psi') value = populationStabilityIndex(pa, pb);
  else value = jensenShannonDistance(pa, pb);
  return result(ref.name, requested, value, options.threshold, n, m);
}

function numericStatistic(method: DriftMethod, a: NumericHistogram, b: NumericHistogram, n: number, m: number): number {
  switch (method) {
    case 'ks':
      return ksPValue(ksStatistic(a, b), n, m);
    case 'wasserstein':
      // Normed by the reference's spread, as Evidently does, so one threshold fits every unit.
      return wassersteinDistance(a, b) / Math.max(histogramStd(a), 0.001);
    default: {
      // PSI and Jensen–Shannon on numbers: ten bins cut at the reference's deciles.
      const edges = [...new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((p) => histogramQuantile(a, p)))];
      const pa = shareByEdges(a, edges);
      const pb = shareByEdges(b, edges);
      return method === 'psi' ? populationStabilityIndex(pa, pb) : jensenShannonDistance(pa, pb);
    }
  }
}

function result(column: string, method: DriftMethod, value: number, override: number | undefined, n: number, m: number): ColumnDrift {
  const threshold = override ?? DEFAULT_THRESHOLD[method];
  const test = method === 'ks' || method === 'chisquare';
  return {
    column,
    method,
    value,
    threshold,
    direction: test ? 'below' : 'at-or-above',
    drifted: test ? value < threshold : value >= threshold,
    referenceValues: n,
    currentValues: m,
  };
}
