/**
 * Small, plottable versions of the reference and current distributions for the report: numeric
 * columns re-binned to equal-width bins over both ranges, categorical ones cut to the values
 * that matter most on either side.
 */
import { bucketValue, histogramQuantile, histogramTotal, type NumericHistogram } from './histogram';
import type { ColumnProfile } from './profile';

export interface Distribution {
  kind: 'numeric' | 'categorical';
  /** Bin labels (ranges or categories), in display order. */
  labels: string[];
  reference: number[] | null;
  current: number[];
}

const NUMERIC_BINS = 30;
const TOP_CATEGORIES = 15;

export function distribution(current: ColumnProfile, reference?: ColumnProfile): Distribution | undefined {
  const ref = reference?.kind === current.kind ? reference : undefined;
  if (current.kind === 'numeric' && current.histogram) return numeric(current.histogram, ref?.histogram);
  if (current.categories) return categorical(current.categories, ref?.categories);
  return undefined;
}

function numeric(cur: NumericHistogram, ref?: NumericHistogram): Distribution {
  const sides = ref && histogramTotal(ref) > 0 ? [cur, ref] : [cur];
  const nonEmpty = sides.filter((h) => histogramTotal(h) > 0);
  // Central 99% of both sides, so one far outlier does not squash the plot; the rest go to edge bins.
  const lo = Math.min(...nonEmpty.map((h) => histogramQuantile(h, 0.005)));
  const hi = Math.max(...nonEmpty.map((h) => histogramQuantile(h, 0.995)));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { kind: 'numeric', labels: [], reference: ref ? [] : null, current: [] };
  const width = hi > lo ? (hi - lo) / NUMERIC_BINS : 1;
  const labels = Array.from({ length: NUMERIC_BINS }, (_, i) => fmt(lo + i * width));
  const shares = (h: NumericHistogram): number[] => {
    const out = new Array<number>(NUMERIC_BINS + 2).fill(0);
    const n = histogramTotal(h) || 1;
    for (const [k, c] of h.bins) {
      const v = bucketValue(h, k);
      const bin = v < lo ? 0 : v > hi ? NUMERIC_BINS + 1 : 1 + Math.min(NUMERIC_BINS - 1, Math.floor((v - lo) / width));
      out[bin] += c / n;
    }
    return out;
  };
  return {
    kind: 'numeric',
    labels: [`< ${fmt(lo)}`, ...labels, `> ${fmt(hi)}`],
    reference: ref ? shares(ref) : null,
    current: shares(cur),
  };
}

function categorical(cur: Array<[string, number]>, ref?: Array<[string, number]>): Distribution {
  const total = (xs: Array<[string, number]>) => xs.reduce((s, [, c]) => s + c, 0) || 1;
  const pc = new Map(cur.map(([k, c]) => [k, c / total(cur)]));
  const pr = ref ? new Map(ref.map(([k, c]) => [k, c / total(ref)])) : undefined;
  const keys = [...new Set([...pc.keys(), ...(pr?.keys() ?? [])])]
    .sort((a, b) => Math.max(pc.get(b) ?? 0, pr?.get(b) ?? 0) - Math.max(pc.get(a) ?? 0, pr?.get(a) ?? 0))
    .slice(0, TOP_CATEGORIES);
  const shown = (m: Map<string, number>) => {
    const xs = keys.map((k) => m.get(k) ?? 0);
    return [...xs, Math.max(0, 1 - xs.reduce((s, x) => s + x, 0))];
  };
  return { kind: 'categorical', labels: [...keys, 'other'], reference: pr ? shown(pr) : null, current: shown(pc) };
}

const fmt = (x: number): string => String(Number(x.toPrecision(4)));
