/**
 * A self-contained SVG line chart of AUC per week, one line per model, with the y axis
 * fitted to the values (AUC differences between weeks are a few hundredths).
 */
import { escapeHtml } from '../validation/svg-chart';

/** One line of the chart; `values[i]` belongs to `labels[i]`, null where there is none. */
export interface ChartSeries {
  name: string;
  color: string;
  values: (number | null)[];
  /** Dashed line. @default false */
  dashed?: boolean;
}

const WIDTH = 760;
const HEIGHT = 320;
const LEFT = 56;
const RIGHT = 170;
const TOP = 36;
const BOTTOM = 64;

export function aucChart(title: string, labels: string[], series: ChartSeries[]): string {
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = all.length ? Math.floor((Math.min(...all) - 0.005) * 100) / 100 : 0.5;
  const hi = all.length ? Math.ceil((Math.max(...all) + 0.005) * 100) / 100 : 1;
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (i: number) => LEFT + (labels.length > 1 ? (i / (labels.length - 1)) * plotW : plotW / 2);
  const y = (v: number) => TOP + (1 - (v - lo) / Math.max(hi - lo, 1e-9)) * plotH;

  const ticks: string[] = [];
  const step = hi - lo > 0.1 ? 0.02 : 0.01;
  for (let v = lo; v <= hi + 1e-9; v += step) {
    ticks.push(`<line class="grid" x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
    ticks.push(`<text class="tick" x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  const xTicks = labels.map(
    (label, i) => `<text class="tick" transform="translate(${x(i).toFixed(1)},${TOP + plotH + 14}) rotate(30)">${escapeHtml(label)}</text>`,
  );
  const lines = series.map((s) => {
    const points = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : ([x(i), y(v), v] as const)));
    const path = points
      .map((p, i) => (p ? `${i === 0 || !points[i - 1] ? 'M' : 'L'}${p[0].toFixed(1)},${p[1].toFixed(1)}` : ''))
      .join(' ');
    const dots = points
      .map((p, i) => (p ? `<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="3.5" fill="${s.color}"><title>${escapeHtml(`${s.name}, ${labels[i]}: AUC ${p[2].toFixed(4)}`)}</title></circle>` : ''))
      .join('');
    return `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots}`;
  });
  const legend = series.map(
    (s, i) =>
      `<line x1="${LEFT + plotW + 16}" x2="${LEFT + plotW + 40}" y1="${TOP + 10 + i * 20}" y2="${TOP + 10 + i * 20}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
      `<text class="tick" x="${LEFT + plotW + 46}" y="${TOP + 14 + i * 20}">${escapeHtml(s.name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">`,
    '<style>.tick{font:11px sans-serif;fill:#444}.grid{stroke:#e5e5e5}.title{font:bold 13px sans-serif}.axis{stroke:#888}</style>',
    `<text class="title" x="${LEFT}" y="20">${escapeHtml(title)}</text>`,
    ...ticks,
    `<line class="axis" x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + plotH}"/>`,
    `<text class="tick" transform="translate(14,${TOP + plotH / 2}) rotate(-90)" text-anchor="middle">AUC on the week's flights</text>`,
    ...xTicks,
    ...lines,
    ...legend,
    '</svg>',
  ].join('\n');
}
