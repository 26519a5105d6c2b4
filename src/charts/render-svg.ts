/**
 * Renders a Vega-Lite spec to a static SVG string on the server. One renderer for every chart
 * Slipway draws: the self-contained HTML reports (which must carry no scripts) and the console
 * pages (whose Content-Security-Policy allows no `eval`, which Vega in the browser would need).
 *
 * Vega and Vega-Lite are ESM-only; a dynamic import keeps this CommonJS code base loading them
 * natively (a static import would be compiled to `require`, which cannot load them).
 */
import { createHash } from 'node:crypto';
import type * as Vega from 'vega';
import { groupedBarChart, heatmap, lineChart, type TopLevelSpec } from './chart-specs';

/** The one function of Vega-Lite used here (its types need a module resolution this project does not use). */
interface VegaLite {
  compile(spec: TopLevelSpec): { spec: Vega.Spec };
}
type VegaModules = [typeof Vega, VegaLite];
let modules: Promise<VegaModules> | undefined;

// A specifier in a variable stays a real `import()` under the CommonJS transform, and keeps the
// type checker from resolving vega-lite's ESM-only typings.
const VEGA_LITE = 'vega-lite';
const load = (): Promise<VegaModules> => (modules ??= Promise.all([import('vega'), import(VEGA_LITE) as Promise<VegaLite>]));

/**
 * Loads Vega ahead of the first chart (a second or more on a cold process), e.g. when a server
 * starts, and draws one small chart of each kind Slipway uses: the first render on a fresh
 * process costs several times a later one (Vega's parser, scales, axes, legends and SVG writer
 * are compiled by V8 on first use), which is what made the first request of a chart-heavy
 * page slow. The warm-up charts bypass the cache.
 */
export async function warmUp(): Promise<void> {
  await load();
  const points = Array.from({ length: 50 }, (_, i) => ({ x: i / 49, y: Math.sqrt(i / 49) }));
  const specs: TopLevelSpec[] = [
    lineChart([{ name: 'a', points }, { name: 'b', points: points.map((p) => ({ x: p.x, y: p.x })), dashed: true }], { xTitle: 'x', yTitle: 'y', unitSquare: true, width: 120, height: 120 }),
    lineChart([{ name: 'a', points: points.map((p, i) => ({ x: `v${i}`, y: p.y })) }], { xTitle: 'x', yTitle: 'y', xType: 'ordinal', fitY: true, points: true, width: 120, height: 80 }),
    lineChart([{ name: 'a', points: [{ x: '2001-01-01T00:00:00Z', y: 0 }, { x: '2001-01-02T00:00:00Z', y: 50 }] }], { xTitle: 't', yTitle: 'y', xType: 'temporal', step: true, width: 120, height: 80 }),
    groupedBarChart([{ label: '0.1', share: 0.5, group: 'a' }, { label: '0.1', share: 0.4, group: 'b' }], { groups: ['a', 'b'], colors: ['#b7bcc8', '#2f6fde'] }),
    heatmap([{ row: 'f', column: 'v1', value: 0.1 }], { rowTitle: 'r', columnTitle: 'c', valueTitle: 'v', columns: ['v1'] }),
  ];
  for (const spec of specs) await render(spec, 'warm-up');
}

// Rendering costs tens of milliseconds for a chart of a thousand points, and pages ask for the
// same charts again and again (a model's metric history changes only when a version lands), so
// finished SVGs are kept by the digest of their spec.
const CACHE_ENTRIES = 256;
const cache = new Map<string, Promise<string>>();

/** The chart as an `<svg>` element with `role="img"` and `aria-label` set to `title`. */
export function renderSvg(spec: TopLevelSpec, title: string): Promise<string> {
  const key = createHash('sha256').update(title).update('\0').update(JSON.stringify(spec)).digest('hex');
  let svg = cache.get(key);
  if (svg) {
    // Refresh its place: the map's order is the eviction order.
    cache.delete(key);
    cache.set(key, svg);
    return svg;
  }
  svg = render(spec, title);
  svg.catch(() => cache.delete(key));
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, svg);
  return svg;
}

async function render(spec: TopLevelSpec, title: string): Promise<string> {
  const [vega, vl] = await load();
  const compiled = vl.compile({ ...spec, description: title }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // One accessible image per chart: Vega's per-mark ARIA roles would make every line and bar
    // a separately announced graphic without a name, so they go, and the root carries the title.
    const plain = svg.replace(/ (role|aria-roledescription|aria-label|aria-hidden)="[^"]*"/g, '');
    return plain.replace('<svg ', `<svg role="img" aria-label="${escapeAttr(title)}" `);
  } finally {
    view.finalize();
  }
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
