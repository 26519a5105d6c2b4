/** Models: every model with its champion, live quality, canary and last retrain; one model's versions, chart and alias timeline. */
import { lineChart } from '../../charts/chart-specs';
import { renderSvg } from '../../charts/render-svg';
import type { ModelVersion } from '../../registry/model-registry';
import type { ConsoleDeps } from '../console-deps';
import { actionForm, artifactLink, badge, can, fmt, html, pager, raw, table, when, type Html, type PageContext } from '../html';

const PAGE_SIZE = 50;
const SHOWN_METRICS = ['auc', 'logLoss', 'accuracy', 'ece'];

export async function modelsList(deps: ConsoleDeps): Promise<Html> {
  const models = await deps.registry.listModels();
  const rows = await Promise.all(
    models.map(async (m) => {
      const champion = m.aliases.champion;
      const [latest, canary, live] = await Promise.all([
        deps.registry.getVersion(m.model, m.latestVersion),
        canaryRunning(deps, m.model),
        champion && deps.serving ? deps.serving.stats(m.model, [champion], Date.now() - 15 * 60_000).then((s) => s.versions.get(champion), () => undefined) : undefined,
      ]);
      return [
        html`<a href="/ui/models/${encodeURIComponent(m.model)}">${m.model}</a>`,
        champion ? html`v${champion}` : raw('–'),
        live ? html`AUC ${fmt(live.auc, 3)} · ${live.labels} labels · ${live.requests} req/15 min` : raw('<span class="muted">no live traffic</span>'),
        canary ? html`<a href="/ui/canaries/${encodeURIComponent(m.model)}">${badge('canary running', 'warn')}</a>` : raw('–'),
        html`v${m.latestVersion} ${when(latest?.createdAt)}`,
      ];
    }),
  );
  return table(['model', 'champion', 'live quality (15 min)', 'canary', 'last version'], rows as Html[][], 'Models');
}

export async function canaryRunning(deps: ConsoleDeps, model: string): Promise<boolean> {
  try {
    const d = await deps.slipway.temporal.workflow.getHandle(`canary-${model}`).describe();
    return d.status.name === 'RUNNING';
  } catch {
    return false;
  }
}

export async function modelDetail(deps: ConsoleDeps, ctx: PageContext, model: string, pageNo: number): Promise<Html | undefined> {
  const [versions, history, summary] = await Promise.all([deps.registry.listVersions(model), deps.registry.aliasHistory(model), deps.registry.listModels()]);
  if (versions.length === 0) return undefined;
  const aliases = summary.find((m) => m.model === model)?.aliases ?? {};
  const primary = primaryMetric(versions);
  const chart = await metricHistoryChart(model, versions);
  const newestFirst = [...versions].reverse();
  const shown = newestFirst.slice((pageNo - 1) * PAGE_SIZE, pageNo * PAGE_SIZE);
  const aliasOf = (v: number) => Object.keys(aliases).filter((a) => aliases[a] === v);
  const rows = shown.map((v) => [
    html`<a href="/ui/models/${encodeURIComponent(model)}/versions/${v.version}">v${v.version}</a>`,
    when(v.createdAt),
    html`${aliasOf(v.version).map((a) => badge(a, a === 'champion' ? 'ok' : 'info'))}`,
    ...SHOWN_METRICS.map((m) => raw(fmt(v.metrics[m]))),
    tagList(v.tags),
    html`${v.lineage.trainer}`,
    html`<a href="/ui/runs/${encodeURIComponent(v.lineage.workflowId)}">${v.lineage.workflowId}</a>`,
  ]);
  const options = newestFirst.slice(0, 200).map((v) => html`<option value="${v.version}">v${v.version}</option>`);
  const timeline = [...history].reverse().slice(0, 50).map((move) => html`<li><strong>${move.alias}</strong> ${move.fromVersion === null ? 'set' : html`v${move.fromVersion} →`} v${move.toVersion}
 by ${move.actor} ${when(move.at)}: “${move.reason}” ${evidenceLinks(move.evidence)}</li>`);
  return html`<p>Champion: ${aliases.champion ? html`<a href="/ui/models/${encodeURIComponent(model)}/versions/${aliases.champion}">v${aliases.champion}</a>` : 'none'}.
Aliases: ${Object.entries(aliases).map(([a, v]) => html`${badge(`${a} → v${v}`)} `)}</p>
<section aria-labelledby="h-chart"><h2 id="h-chart">${primary} across versions</h2><figure class="chart">${raw(chart)}</figure></section>
<section aria-labelledby="h-compare"><h2 id="h-compare">Compare two versions</h2>
<form method="get" action="/ui/models/${encodeURIComponent(model)}/compare" class="inline"><label for="cmp-a">Version A</label><select id="cmp-a" name="a">${options.slice(1)}${options.slice(0, 1)}</select>
<label for="cmp-b">Version B</label><select id="cmp-b" name="b">${options}</select><button type="submit">Compare</button></form></section>
<section aria-labelledby="h-versions"><h2 id="h-versions">Versions (${versions.length})</h2>
${table(['version', 'registered', 'aliases', ...SHOWN_METRICS, 'tags', 'trainer', 'run'], rows)}${pager(`/ui/models/${encodeURIComponent(model)}`, {}, pageNo, pageNo * PAGE_SIZE < versions.length)}</section>
<section aria-labelledby="h-aliases"><h2 id="h-aliases">Alias history</h2><ol class="timeline">${timeline}</ol>
${can(ctx, 'approver') ? html`<h3>Move an alias</h3>${actionForm(ctx, 'approver', `/ui/models/${encodeURIComponent(model)}/aliases`, 'Move alias', {
    fields: html`<label for="alias-name">Alias</label><input id="alias-name" name="alias" required pattern="[a-z][a-z0-9-]*" value="champion"><label for="alias-version">Version</label><select id="alias-version" name="version">${options}</select>`,
  })}` : ''}</section>`;
}

/** A version's tags as `key=value` chips; long values are cut in the table (the version page shows them whole). */
export function tagList(tags: Record<string, string>, maxValue = 40): Html {
  const entries = Object.entries(tags).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return raw('–');
  return html`<ul class="tags">${entries.map(([k, v]) => html`<li><code>${k}=${v.length > maxValue ? `${v.slice(0, maxValue)}…` : v}</code></li>`)}</ul>`;
}

/** Links to the artifacts a move's evidence names (evaluation reports, canary reports). */
export function evidenceLinks(evidence: Record<string, unknown>): Html {
  const links = Object.entries(evidence).flatMap(([key, value]) => (typeof value === 'string' && value.startsWith('artifact://') ? [html` ${artifactLink(value, key)}`] : []));
  return html`${links}`;
}

const primaryMetric = (versions: ModelVersion[]): string => (versions.some((v) => 'auc' in v.metrics) ? 'auc' : (Object.keys(versions.at(-1)?.metrics ?? {})[0] ?? 'auc'));

/** The model page's chart of the primary metric across every version (cached by its spec, so warming it at startup serves the first request). */
export function metricHistoryChart(model: string, versions: ModelVersion[]): Promise<string> {
  const primary = primaryMetric(versions);
  return renderSvg(
    lineChart([{ name: primary, points: versions.map((v) => ({ x: v.version, y: v.metrics[primary] ?? null })) }], {
      xTitle: 'version',
      yTitle: primary,
      fitY: true,
      points: versions.length <= 60,
      width: 640,
      height: 180,
    }),
    `${primary} of every version of ${model}`,
  );
}

/** Renders the metric chart of up to `limit` models into the chart cache (at startup: the first request of a model page then finds it). */
export async function warmModelCharts(deps: Pick<ConsoleDeps, 'registry'>, limit: number): Promise<void> {
  const models = (await deps.registry.listModels()).slice(0, limit);
  for (const m of models) {
    const versions = await deps.registry.listVersions(m.model);
    if (versions.length > 0) await metricHistoryChart(m.model, versions);
  }
}
