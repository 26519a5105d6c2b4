/**
 * The AUC-per-week line chart of the simulation report, one line per model, with the y axis
 * fitted to the values (AUC differences between weeks are a few hundredths). Drawn with
 * Vega-Lite and rendered to a standalone SVG on the server (src/charts).
 */
import { lineChart } from './chart-specs';
import { renderSvg } from './render-svg';

/** One line of the chart; `values[i]` belongs to `labels[i]`, null where there is none. */
export interface ChartSeries {
  name: string;
  color: string;
  values: (number | null)[];
  /** Dashed line. @default false */
  dashed?: boolean;
}

export function aucChart(title: string, labels: string[], series: ChartSeries[]): Promise<string> {
  const spec = lineChart(
    series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed, points: s.values.map((y, i) => ({ x: labels[i], y })) })),
    { xTitle: 'week starting', yTitle: "AUC on the week's flights", xType: 'ordinal', fitY: true, points: true, width: 520, height: 240 },
  );
  return renderSvg({ ...spec, title }, title);
}
