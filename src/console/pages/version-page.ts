/** One version: metrics, lineage drawn as a graph, the model card; and two versions compared side by side. */
import { lineChart, type LineSeries } from '../../charts/chart-specs';
import { renderSvg } from '../../charts/render-svg';
import type { ReportEntry } from '../../evaluation/evaluation-report';
import { compareVersions, LOWER_IS_BETTER } from '../../registry/compare-versions';
import { buildLineage } from '../../registry/lineage';
import { renderModelCard } from '../../registry/model-card';
import { isAllowed } from '../../auth/authorize';
import { formatModelUri } from '../../registry/model-uri';
import type { ModelVersion } from '../../registry/model-registry';
import type { ConsoleDeps } from '../console-deps';
import { artifactLink, badge, csrfField, fmt, html, raw, shortSha, table, when, type Html, type PageContext } from '../html';
import { markdownToHtml } from '../markdown';
import type { ReportReader } from '../report-reader';

export async function versionDetail(deps: ConsoleDeps, reports: ReportReader, ctx: PageContext, model: string, version: number): Promise<Html | undefined> {
  const v = await deps.registry.getVersion(model, version);
  if (!v) return undefined;
  const l = buildLineage(v, await deps.registry.aliasHistory(model));
  const [evaluationReport, validationReport] = await Promise.all([reports.evaluation(l.evaluation.report), reports.validation(l.validation.report)]);
  const card = renderModelCard({ version: v, lineage: l, evaluationReport, validationReport });
  const window = l.data.window as { from?: string; to?: string } | null;
  const node = (title: string, body: Html) => html`<li class="node"><strong>${title}</strong><br>${body}</li>`;
  const graph = html`<ol class="lineage" aria-label="Lineage from data to deployments">
${node('data snapshot', html`<code>${shortSha(l.data.digest)}</code>${window ? html`<br>${window.from ?? '…'} → ${window.to ?? '…'}` : ''}`)}
${node('validation', html`${artifactLink(l.validation.report, 'report')}${validationReport ? html` ${badge(validationReport.passed ? 'passed' : 'failed', validationReport.passed ? 'ok' : 'bad')}` : ''}`)}
${node('training run', html`<a href="/ui/runs/${encodeURIComponent(l.training.workflowId)}">${l.training.workflowId}</a><br>${l.training.trainer}`)}
${node('evaluation', html`${artifactLink(l.evaluation.report, 'report')} ${artifactLink(typeof v.lineage['evaluation-page'] === 'string' ? (v.lineage['evaluation-page'] as string) : null, 'page')}${l.evaluation.blessed === null ? '' : html` ${badge(l.evaluation.blessed ? 'blessed' : 'not blessed', l.evaluation.blessed ? 'ok' : 'bad')}`}`)}
${node(`model v${v.version}`, html`${artifactLink(v.artifact.uri, 'model file')}<br>${fmt(v.artifact.bytes)} bytes`)}
${node('deployments', l.deployments.length ? html`${l.deployments.map((d) => html`${d.alias} ${when(d.from)} → ${d.until ? when(d.until) : 'now'}<br>`)}` : raw('none'))}
</ol>`;
  return html`<p>Registered ${when(v.createdAt)}; aliases: ${l.aliases.length ? l.aliases.join(', ') : 'none'}. <a href="/ui/models/${encodeURIComponent(model)}">All versions</a></p>
<p>URI: <code>${formatModelUri({ model, version })}</code>${l.aliases.map((a) => html`, <code>${formatModelUri({ model, alias: a })}</code>`)}</p>
${tagsSection(ctx, v)}
<section aria-labelledby="h-lineage"><h2 id="h-lineage">Lineage</h2>${graph}</section>
<section aria-labelledby="h-card"><h2 id="h-card">Model card</h2><div class="card">${raw(markdownToHtml(card))}</div></section>`;
}

/** The version's tags, with set and remove forms for those who may tag it (approver with a grant on the model, or admin). */
function tagsSection(ctx: PageContext, v: ModelVersion): Html {
  const allowed = isAllowed(ctx.principal, 'version.annotate', { model: v.model });
  const action = `/ui/models/${encodeURIComponent(v.model)}/versions/${v.version}/tags`;
  const entries = Object.entries(v.tags).sort(([a], [b]) => a.localeCompare(b));
  const rows = entries.map(([key, value]) => [
    html`<code>${key}</code>`,
    html`${value}`,
    ...(allowed
      ? [html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}<input type="hidden" name="op" value="remove"><input type="hidden" name="key" value="${key}"><button type="submit" class="danger" aria-label="Remove tag ${key}">Remove</button></form>`]
      : []),
  ]);
  const form = allowed
    ? html`<form method="post" action="${action}" class="action" aria-label="Set a tag">${csrfField(ctx)}<input type="hidden" name="op" value="set">
<label for="tag-key">Key</label><input id="tag-key" name="key" required maxlength="128" pattern="[A-Za-z0-9][A-Za-z0-9_.\-/:]*" placeholder="stage">
<label for="tag-value">Value</label><input id="tag-value" name="value" maxlength="5000" placeholder="ga">
<label for="tag-reason">Reason (optional)</label><input id="tag-reason" name="reason" maxlength="2000"><button type="submit">Set tag</button></form>`
    : '';
  return html`<section aria-labelledby="h-tags"><h2 id="h-tags">Tags</h2>${table(['key', 'value', ...(allowed ? [''] : [])], rows)}${form}</section>`;
}

/** The report entry describing the registered version: the candidate the evaluate step carried forward. */
function chosenEntry(report: { candidates: ReportEntry[]; chosen: { id: string } } | undefined): ReportEntry | undefined {
  return report?.candidates.find((c) => c.id === report.chosen.id);
}

export async function compareDetail(deps: ConsoleDeps, reports: ReportReader, model: string, a: number, b: number): Promise<Html> {
  const comparison = await compareVersions(deps.registry, model, [a, b]);
  const [va, vb] = await Promise.all([deps.registry.getVersion(model, a), deps.registry.getVersion(model, b)]);
  const [ra, rb] = await Promise.all([reports.evaluation(va!.lineage['evaluation-report'] as string), reports.evaluation(vb!.lineage['evaluation-report'] as string)]);
  const entries = [chosenEntry(ra), chosenEntry(rb)];
  const names = [`v${a}`, `v${b}`];
  const metricRows = comparison.rows.map((r) => [
    html`${r.metric}${LOWER_IS_BETTER.has(r.metric) ? ' (lower is better)' : ''}`,
    ...r.values.map((value, i) => html`${fmt(value)}${r.best === comparison.versions[i] ? html` ${badge('best', 'ok')}` : ''}`),
    raw(r.change === null ? '' : `${r.change >= 0 ? '+' : ''}${fmt(r.change)}`),
  ]);
  const charts: Html[] = [];
  if (entries.every(Boolean)) {
    const e = entries as ReportEntry[];
    const roc: LineSeries[] = e.map((x, i) => ({ name: `${names[i]} (AUC ${fmt(x.metrics.auc, 3)})`, points: x.roc.map((p) => ({ x: p.fpr, y: p.tpr })) }));
    // Precision follows from the ROC points and the holdout's positive share: precision = tpr·P / (tpr·P + fpr·N).
    const pr: LineSeries[] = e.map((x, i) => {
      const pos = x.metrics.positiveRate;
      return { name: names[i], points: x.roc.filter((p) => p.tpr > 0).map((p) => ({ x: p.tpr, y: (p.tpr * pos) / (p.tpr * pos + p.fpr * (1 - pos)) })) };
    });
    const calibrated = e.filter((x) => x.calibration?.length);
    charts.push(raw(await renderSvg(lineChart(roc, { xTitle: 'false positive rate', yTitle: 'true positive rate', unitSquare: true, width: 300, height: 300 }), `ROC curves of ${names.join(' and ')}`)));
    charts.push(raw(await renderSvg(lineChart(pr, { xTitle: 'recall', yTitle: 'precision', width: 300, height: 300, fitY: true }), `Precision-recall curves of ${names.join(' and ')}`)));
    if (calibrated.length) {
      const cal: LineSeries[] = e.map((x, i) => ({ name: names[i], points: (x.calibration ?? []).map((c) => ({ x: c.meanScore, y: c.positiveShare })) }));
      charts.push(raw(await renderSvg(lineChart(cal, { xTitle: 'mean predicted score', yTitle: 'observed positive share', unitSquare: true, points: true, width: 300, height: 300 }), `Calibration of ${names.join(' and ')}`)));
    } else {
      charts.push(html`<p class="muted">No calibration bins in these evaluation reports (recorded since the console was added).</p>`);
    }
  }
  const sliceColumns = entries[0] ? Object.keys(entries[0].slices) : [];
  const slices = sliceColumns.map((column) => {
    const values = [...new Set(entries.flatMap((e) => (e?.slices[column] ?? []).map((s) => s.value)))];
    const rows = values.map((value) => {
      const cells = entries.map((e) => e?.slices[column]?.find((s) => s.value === value));
      return [html`${value || '(missing)'}`, ...cells.flatMap((c) => [raw(fmt(c?.rows)), raw(fmt(c?.metrics?.auc, 3))])];
    });
    return table([column, `${names[0]} rows`, `${names[0]} AUC`, `${names[1]} rows`, `${names[1]} AUC`], rows, `Slices by ${column}`);
  });
  const diff = (label: string, x: unknown, y: unknown) => [html`${label}`, html`<code>${JSON.stringify(x) ?? '–'}</code>`, html`<code>${JSON.stringify(y) ?? '–'}</code>`, JSON.stringify(x) === JSON.stringify(y) ? raw('same') : badge('differs', 'warn')];
  const paramKeys = [...new Set([...Object.keys(va!.params), ...Object.keys(vb!.params)])].sort();
  const dataRows = [
    diff('data digest', va!.lineage.dataDigest.slice(0, 12), vb!.lineage.dataDigest.slice(0, 12)),
    diff('data window', va!.lineage.dataWindow, vb!.lineage.dataWindow),
    diff('trainer', va!.lineage.trainer, vb!.lineage.trainer),
    ...paramKeys.map((k) => diff(`param ${k}`, va!.params[k], vb!.params[k])),
  ];
  return html`<p><a href="/ui/models/${encodeURIComponent(model)}">${model}</a>: <a href="/ui/models/${encodeURIComponent(model)}/versions/${a}">v${a}</a> (${comparison.aliases[0].join(', ') || 'no alias'})
against <a href="/ui/models/${encodeURIComponent(model)}/versions/${b}">v${b}</a> (${comparison.aliases[1].join(', ') || 'no alias'}).</p>
<section aria-labelledby="h-metrics"><h2 id="h-metrics">Metrics</h2>${table(['metric', ...names, 'change'], metricRows)}</section>
<section aria-labelledby="h-curves"><h2 id="h-curves">Curves on each version's holdout</h2>${charts.length ? html`<div class="charts">${charts.map((c) => html`<figure class="chart">${c}</figure>`)}</div>` : html`<p class="muted">An evaluation report is missing for one of the versions.</p>`}</section>
<section aria-labelledby="h-slices"><h2 id="h-slices">Slices</h2>${slices.length ? slices : html`<p class="muted">No slices recorded.</p>`}</section>
<section aria-labelledby="h-diff"><h2 id="h-diff">Data and parameters</h2>${table(['', ...names, ''], dataRows)}</section>`;
}
