/**
 * Bar charts for the HTML report: reference and current shares side by side per bin, drawn
 * with Vega-Lite and rendered to static SVG on the server (src/charts), so the report stays
 * one self-contained file with no scripts.
 */
import { groupedBarChart } from '../charts/chart-specs';
import { renderSvg } from '../charts/render-svg';
import type { Distribution } from './distributions';

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const REFERENCE_COLOUR = '#b7bcc8';
export const CURRENT_COLOUR = '#2f6fde';

export async function barChart(title: string, d: Distribution): Promise<string> {
  if (d.labels.length === 0) return `<p class="muted">${escapeHtml(title)}: no values</p>`;
  const values = d.labels.flatMap((label, i) => [
    ...(d.reference ? [{ label: label.slice(0, 14), share: d.reference[i], group: 'reference' }] : []),
    { label: label.slice(0, 14), share: d.current[i], group: 'this batch' },
  ]);
  const svg = await renderSvg(groupedBarChart(values, { groups: ['reference', 'this batch'], colors: [REFERENCE_COLOUR, CURRENT_COLOUR] }), `${title}: share of values per bin, reference and this batch`);
  return `<figure><figcaption>${escapeHtml(title)}</figcaption>${svg}</figure>`;
}
