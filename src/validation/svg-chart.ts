/**
 * Inline SVG bar charts for the HTML report: reference and current shares side by side per
 * bin, no scripts and no external assets, so the report is one self-contained file.
 */
import type { Distribution } from './distributions';

const WIDTH = 720;
const HEIGHT = 190;
const PLOT_TOP = 10;
const PLOT_BOTTOM = 130;
const LEFT = 44;

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function barChart(title: string, d: Distribution): string {
  const n = d.labels.length;
  if (n === 0) return `<p class="muted">${escapeHtml(title)}: no values</p>`;
  const top = Math.max(...d.current, ...(d.reference ?? []), 1e-9);
  const group = (WIDTH - LEFT - 10) / n;
  const bar = Math.max(1, group * (d.reference ? 0.4 : 0.8));
  const y = (share: number) => PLOT_BOTTOM - (share / top) * (PLOT_BOTTOM - PLOT_TOP);
  const rect = (i: number, share: number, offset: number, cls: string) =>
    `<rect class="${cls}" x="${(LEFT + i * group + offset).toFixed(1)}" y="${y(share).toFixed(1)}" width="${bar.toFixed(1)}" height="${(PLOT_BOTTOM - y(share)).toFixed(1)}"><title>${escapeHtml(d.labels[i])}: ${(share * 100).toFixed(2)}%</title></rect>`;
  const bars = d.labels
    .map((_, i) => {
      const first = d.reference ? rect(i, d.reference[i], group * 0.1, 'ref') : '';
      return first + rect(i, d.current[i], d.reference ? group * 0.5 : group * 0.1, 'cur');
    })
    .join('');
  // Every label for categories; about eight for numeric bins, which are evenly spaced anyway.
  const every = d.kind === 'categorical' ? 1 : Math.max(1, Math.ceil(n / 8));
  const ticks = d.labels
    .map((label, i) => (i % every === 0 || i === n - 1 ? `<text class="tick" transform="translate(${(LEFT + (i + 0.5) * group).toFixed(1)},${PLOT_BOTTOM + 8}) rotate(40)">${escapeHtml(label.slice(0, 14))}</text>` : ''))
    .join('');
  const axis = `<line x1="${LEFT}" y1="${PLOT_BOTTOM}" x2="${WIDTH - 10}" y2="${PLOT_BOTTOM}" class="axis"/>
    <text class="tick" x="${LEFT - 4}" y="${PLOT_TOP + 4}" text-anchor="end">${(top * 100).toFixed(1)}%</text>
    <text class="tick" x="${LEFT - 4}" y="${PLOT_BOTTOM}" text-anchor="end">0</text>`;
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">${axis}${bars}${ticks}</svg></figure>`;
}
