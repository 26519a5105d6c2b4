/**
 * The week-by-week simulation chart on the Continuous training page: the newest report
 * `npm run simulate` wrote (`<SLIPWAY_DATA_DIR>/reports/simulation-<stamp>/report.json`), drawn with
 * the same chart code as the report's own HTML. The directory comes from configuration, never
 * from a request.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { renderSvg, summaryLines, type SimulationReport } from './simulation-report';
import { html, raw, type Html } from './html';

/** Newest first: the stamp is an ISO time with `:` and `.` replaced, so names sort by time. */
async function newestReport(dir: string): Promise<{ name: string; report: SimulationReport } | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^simulation-[0-9TZ-]+$/.test(n)).sort().reverse();
  for (const name of names) {
    const text = await readFile(path.join(dir, name, 'report.json'), 'utf8').catch(() => undefined);
    if (!text) continue; // still being written, or not a finished run
    try {
      const report = JSON.parse(text) as SimulationReport;
      if (Array.isArray(report.weeks) && report.weeks.length > 0 && typeof report.model === 'string') return { name, report };
    } catch {
      // A half-written or foreign file: try the next older report.
    }
  }
  return undefined;
}

export async function simulationSection(reportsDir: string | undefined): Promise<Html> {
  const heading = html`<h2 id="h-simulation">Week-by-week simulation</h2>`;
  const found = reportsDir ? await newestReport(reportsDir) : undefined;
  if (!found) {
    return html`<section aria-labelledby="h-simulation">${heading}<p class="muted">No simulation report yet: <code>npm run simulate</code> replays weeks of flights through continuous training and writes one (docs/continuous-training.md).</p></section>`;
  }
  const { name, report } = found;
  return html`<section aria-labelledby="h-simulation">${heading}
<p>${report.model}, pipeline <strong>${report.pipeline}</strong>, generated ${report.generatedAt} (<code>${name}</code>).</p>
<ul>${summaryLines(report).map((l) => html`<li>${l}</li>`)}</ul>
<figure class="chart">${raw(await renderSvg(report))}</figure></section>`;
}
