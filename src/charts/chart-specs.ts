/**
 * The Vega-Lite specs of every chart Slipway draws, built from plain figures. Pure: the
 * validation, evaluation and simulation reports and the console all build their charts here
 * and render them with render-svg.ts.
 */

/** A Vega-Lite spec (https://vega.github.io/vega-lite/docs/spec.html), typed loosely: the builders below are its tests. */
export type TopLevelSpec = Record<string, unknown>;

/** Slipway's palette: candidates in blues and greens, the champion (or reference) in red or grey. */
export const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#d62728', '#7f7f7f'];

const FONT = { font: 'system-ui, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, labelLimit: 260 } };

/** One line of a line chart: x/y points, optionally dashed. */
export interface LineSeries {
  name: string;
  points: { x: number | string; y: number | null }[];
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  xTitle: string;
  yTitle: string;
  /** `ordinal` for labels such as weeks; `quantitative` for numbers; `temporal` for ISO times. @default 'quantitative' */
  xType?: 'quantitative' | 'ordinal' | 'temporal';
  /** Fit the y axis to the data instead of starting at zero. @default false */
  fitY?: boolean;
  /** Fixed [0, 1] axes and the chance diagonal (ROC), or the perfect-calibration diagonal. @default false */
  unitSquare?: boolean;
  /** Draw a point at each value (few points only). @default false */
  points?: boolean;
  /** Step interpolation (traffic weights). @default false */
  step?: boolean;
  width?: number;
  height?: number;
}

/** Overlaid lines with a legend, e.g. ROC curves, AUC per week, a metric across versions. */
export function lineChart(series: LineSeries[], o: LineChartOptions): TopLevelSpec {
  const values = series.flatMap((s, i) => s.points.filter((p) => p.y !== null && Number.isFinite(p.y)).map((p, k) => ({ series: s.name, x: p.x, y: p.y, order: k, i })));
  const names = series.map((s) => s.name);
  const colors = series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  const dashes = series.map((s) => (s.dashed ? [6, 4] : [1, 0]));
  const square = o.unitSquare ? { domain: [0, 1] } : undefined;
  const line = {
    mark: { type: 'line' as const, point: o.points ?? false, interpolate: o.step ? ('step-after' as const) : ('linear' as const), strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: o.xType ?? 'quantitative', title: o.xTitle, ...(square ? { scale: square } : {}), ...(o.xType === 'ordinal' ? { sort: null } : {}) },
      y: { field: 'y', type: 'quantitative' as const, title: o.yTitle, scale: square ?? { zero: !o.fitY } },
      color: { field: 'series', type: 'nominal' as const, title: null, scale: { domain: names, range: colors }, legend: { orient: 'right' as const } },
      strokeDash: { field: 'series', type: 'nominal' as const, title: null, scale: { domain: names, range: dashes }, legend: { orient: 'right' as const } },
      order: { field: 'order', type: 'quantitative' as const },
    },
  };
  const diagonal = {
    data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
    mark: { type: 'line' as const, color: '#bbb', strokeDash: [3, 3] },
    encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const } },
  };
  return {
    width: o.width ?? 420,
    height: o.height ?? (o.unitSquare ? 320 : 220),
    config: FONT,
    data: { values },
    layer: o.unitSquare ? [diagonal, line] : [line],
  } as TopLevelSpec;
}

/** One bin (or category) of a distribution, with the share of values in it. */
export interface BarValue {
  label: string;
  share: number;
  /** Which distribution, e.g. `reference` or `this batch`. */
  group: string;
}

/** Shares per bin, groups side by side (reference and current), labels in the given order. */
export function groupedBarChart(values: BarValue[], o: { groups: string[]; colors: string[]; width?: number; height?: number }): TopLevelSpec {
  const labels = [...new Set(values.map((v) => v.label))];
  return {
    width: o.width ?? { step: Math.max(6, Math.min(28, Math.floor(640 / Math.max(labels.length, 1)))) },
    height: o.height ?? 130,
    config: FONT,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'label', type: 'ordinal', sort: labels, title: null, axis: { labelAngle: 40, labelLimit: 90 } },
      xOffset: { field: 'group', sort: o.groups },
      y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '%' } },
      color: { field: 'group', type: 'nominal', title: null, scale: { domain: o.groups, range: o.colors }, legend: { orient: 'top' } },
    },
  } as TopLevelSpec;
}

/** Values per row label and column (e.g. drift of each feature per run) as a heat map. */
export function heatmap(values: { row: string; column: string; value: number }[], o: { rowTitle: string; columnTitle: string; valueTitle: string; columns: string[] }): TopLevelSpec {
  return {
    config: FONT,
    data: { values },
    mark: { type: 'rect' },
    width: { step: Math.max(14, Math.min(40, Math.floor(560 / Math.max(o.columns.length, 1)))) },
    height: { step: 18 },
    encoding: {
      x: { field: 'column', type: 'ordinal', sort: o.columns, title: o.columnTitle, axis: { labelAngle: 40 } },
      y: { field: 'row', type: 'nominal', title: o.rowTitle },
      color: { field: 'value', type: 'quantitative', title: o.valueTitle, scale: { scheme: 'orangered' } },
    },
  } as TopLevelSpec;
}
