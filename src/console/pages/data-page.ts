/** Data: the newest validation report of a model rendered (checks, drift, distributions) and each feature's drift across recent versions. */
import { groupedBarChart, heatmap } from '../../charts/chart-specs';
import { renderSvg } from '../../charts/render-svg';
import { checkLabel } from '../../validation/check-result';
import type { ConsoleDeps } from '../console-deps';
import { artifactLink, badge, fmt, html, raw, table, type Html } from '../html';
import type { ReportReader } from '../report-reader';

const RECENT = 12;
const CHARTED_COLUMNS = 6;

export async function dataPage(deps: ConsoleDeps, reports: ReportReader, selected: string | undefined): Promise<Html> {
  const models = await deps.registry.listModels();
  const model = selected ?? models[0]?.model;
  const picker = html`<form method="get" action="/ui/data" class="inline"><label for="data-model">Model</label><select id="data-model" name="model">${models.map((m) => html`<option${raw(m.model === model ? ' selected' : '')}>${m.model}</option>`)}</select><button type="submit">Show</button></form>`;
  const quarantine = html`<section aria-labelledby="h-quarantine"><h2 id="h-quarantine">Quarantined batches</h2>
<p class="muted">Not wired yet: quarantine is being built in the registry (the tainted-data work). This section will list quarantined batches with release and discard actions once that lands.</p></section>`;
  if (!model) return html`${picker}<p class="muted">No models yet.</p>${quarantine}`;
  const versions = (await deps.registry.listVersions(model)).slice(-RECENT);
  const withReports = await Promise.all(versions.map(async (v) => ({ v, report: await reports.validation(v.lineage['validation-report'] as string | undefined) })));
  const found = withReports.filter((x) => x.report);
  const latest = found.at(-1);
  if (!latest) return html`${picker}<p class="muted">No validation reports readable for ${model}.</p>${quarantine}`;
  const r = latest.report!;
  const driftValues = found.flatMap(({ v, report }) => report!.drift.columns.map((d) => ({ row: d.column, column: `v${v.version}`, value: d.value })));
  const driftSvg = driftValues.length
    ? await renderSvg(heatmap(driftValues, { rowTitle: 'feature', columnTitle: 'version (its training data against the reference)', valueTitle: 'drift', columns: found.map(({ v }) => `v${v.version}`) }), `Drift of each feature across the last ${found.length} versions of ${model}`)
    : '';
  const problems = r.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  const columns = Object.entries(r.distributions).slice(0, CHARTED_COLUMNS);
  const charts = await Promise.all(
    columns.map(async ([column, d]) => {
      const values = d.labels.flatMap((label, i) => [...(d.reference ? [{ label, share: d.reference[i], group: 'reference' }] : []), { label, share: d.current[i], group: 'this batch' }]);
      return html`<figure class="chart"><figcaption>${column}</figcaption>${raw(await renderSvg(groupedBarChart(values, { groups: ['reference', 'this batch'], colors: ['#b7bcc8', '#2f6fde'] }), `Distribution of ${column}: reference and this batch`))}</figure>`;
    }),
  );
  const checkRows = r.checks.map((c) => [html`${checkLabel(c)}`, badge(c.status, c.status === 'pass' ? 'ok' : c.status === 'fail' ? 'bad' : c.status === 'warn' ? 'warn' : 'info'), html`${c.severity}`, html`${String(c.observed ?? '–')}`, html`${c.threshold}`]);
  const driftRows = r.drift.columns.map((d) => [html`${d.column}`, html`${d.method}`, raw(fmt(d.value)), raw(`${d.direction === 'below' ? '&lt;' : '&ge;'} ${d.threshold}`), d.drifted ? badge('drifted', 'warn') : badge('stable', 'ok')]);
  return html`${picker}
<section aria-labelledby="h-latest"><h2 id="h-latest">Latest validation: v${latest.v.version} ${badge(r.passed ? 'passed' : 'failed', r.passed ? 'ok' : 'bad')}</h2>
<p>${r.counts.checks} checks: ${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.warnings} warnings. Batch of ${fmt(r.current.rows)} rows. Report ${artifactLink(latest.v.lineage['validation-report'] as string)}.</p>
${problems.length ? html`<ul>${problems.map((c) => html`<li class="${c.status}">${c.message}</li>`)}</ul>` : ''}
${table(['check', 'status', 'severity', 'observed', 'threshold'], checkRows, 'Checks')}
${table(['column', 'method', 'value', 'drift when', 'verdict'], driftRows, 'Drift against the reference')}
<div class="charts">${charts}</div></section>
<section aria-labelledby="h-drift"><h2 id="h-drift">Drift across recent versions</h2>${driftSvg ? html`<figure class="chart">${raw(driftSvg)}</figure>` : html`<p class="muted">No drift measured yet (the first run has no reference).</p>`}</section>
${quarantine}`;
}
