/** Data: the newest validation report of a model rendered (checks, drift, distributions), each feature's drift across recent versions, and its quarantined batches. */
import { isAllowed } from '../../auth/authorize';
import { groupedBarChart, heatmap } from '../../charts/chart-specs';
import { renderSvg } from '../../charts/render-svg';
import { checkLabel } from '../../validation/check-result';
import type { ConsoleDeps } from '../console-deps';
import { actionForm, artifactLink, badge, fmt, html, raw, table, when, type Html, type PageContext } from '../html';
import type { ReportReader } from '../report-reader';

const RECENT = 12;
const CHARTED_COLUMNS = 6;

export async function dataPage(deps: ConsoleDeps, reports: ReportReader, ctx: PageContext, selected: string | undefined): Promise<Html> {
  const models = await deps.registry.listModels();
  const model = selected ?? models[0]?.model;
  const picker = html`<form method="get" action="/ui/data" class="inline"><label for="data-model">Model</label><select id="data-model" name="model">${models.map((m) => html`<option${raw(m.model === model ? ' selected' : '')}>${m.model}</option>`)}</select><button type="submit">Show</button></form>`;
  const quarantine = model ? await quarantineSection(deps, ctx, model) : raw('');
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


const QUARANTINE_SHOWN = 20;

/**
 * Batches validation stopped for `model`: those still quarantined first, with release and discard
 * forms only for principals the API would let decide (`data.release`, granted like the champion alias).
 */
async function quarantineSection(deps: ConsoleDeps, ctx: PageContext, model: string): Promise<Html> {
  const heading = html`<h2 id="h-quarantine">Quarantined batches</h2>`;
  if (!deps.quarantine) return html`<section aria-labelledby="h-quarantine">${heading}<p class="muted">Quarantine is not configured on this API.</p></section>`;
  const batches = await deps.quarantine.list({ model });
  const ordered = [...batches.filter((b) => b.state === 'quarantined'), ...batches.filter((b) => b.state !== 'quarantined')].slice(0, QUARANTINE_SHOWN);
  const mayDecide = isAllowed(ctx.principal, 'data.release', { model, alias: 'champion' });
  const rows = ordered.map((b) => {
    const base = `/ui/data/${encodeURIComponent(model)}/quarantine/${encodeURIComponent(b.dataDigest)}`;
    const actions =
      b.state === 'quarantined' && mayDecide
        ? html`<div class="actions">${actionForm(ctx, 'approver', `${base}/release`, 'Release')}${actionForm(ctx, 'approver', `${base}/discard`, 'Discard', { danger: true })}</div>`
        : b.decision
          ? html`${b.decision.by}: ${b.decision.reason} (${when(b.decision.at)})`
          : raw('–');
    return [
      html`<code title="${b.dataDigest}">${b.dataDigest.slice(0, 12)}</code>`,
      badge(b.state, b.state === 'quarantined' ? 'warn' : b.state === 'released' ? 'ok' : 'bad'),
      when(b.quarantinedAt),
      html`<a href="/ui/runs/${encodeURIComponent(b.workflowId)}">${b.workflowId}</a>`,
      html`${b.failed.join(', ')}`,
      html`${artifactLink(b.reportHtml, 'HTML')} ${artifactLink(b.report, 'JSON')}`,
      actions,
    ];
  });
  return html`<section aria-labelledby="h-quarantine">${heading}
<p class="muted">Batches validation stopped: nothing is trained or registered from one until an approver with a grant on ${model}'s champion releases it (a re-run then trains on it) or discards it.</p>
${table(['data digest', 'state', 'quarantined', 'run', 'failed checks', 'report', mayDecide ? 'decide' : 'decision'], rows, `Batches of ${model}`)}</section>`;
}
