/** Canaries: every canary workflow, and one canary live (weights, analyses, checks, live AUC, score shift) with its actions. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { groupedBarChart, lineChart } from '../../charts/chart-specs';
import { renderSvg } from '../../charts/render-svg';
import type { CanaryStatus } from '../../canary/canary-state';
import { canaryStatusQuery } from '../../workflows/definitions';
import type { ConsoleDeps } from '../console-deps';
import { actionForm, badge, fmt, html, raw, table, when, type Html, type PageContext } from '../html';

export async function canariesList(deps: ConsoleDeps): Promise<Html> {
  const rows: Html[][] = [];
  for await (const info of deps.slipway.temporal.workflow.list({ query: `WorkflowType = 'canary'` })) {
    const model = info.workflowId.replace(/^canary-/, '');
    rows.push([
      html`<a href="/ui/canaries/${encodeURIComponent(model)}">${model}</a>`,
      badge(info.status.name.toLowerCase(), info.status.name === 'RUNNING' ? 'warn' : info.status.name === 'COMPLETED' ? 'ok' : 'bad'),
      when(info.startTime.toISOString()),
      when(info.closeTime?.toISOString()),
      info.status.name === 'COMPLETED' ? html`<a href="${canaryReportUrl(model, info.runId)}">report</a>` : raw('–'),
    ]);
    if (rows.length >= 50) break;
  }
  return table(['model', 'status', 'started', 'ended', 'canary report'], rows, 'Canaries');
}

/** The JSON canary report a completed canary run wrote (served by the console route of that name, authorised by the model). */
export const canaryReportUrl = (model: string, runId: string): string => `/ui/canaries/${encodeURIComponent(model)}/runs/${encodeURIComponent(runId)}/report`;

type LiveStatus = CanaryStatus & { decision?: { state: string } };

/** The canary's current status, or undefined when the model never had one. */
export async function canaryStatus(deps: ConsoleDeps, model: string): Promise<{ status: LiveStatus; running: boolean; completed: boolean; runId: string } | undefined> {
  const handle = deps.slipway.temporal.workflow.getHandle(`canary-${model}`);
  try {
    const [status, described] = await Promise.all([handle.query(canaryStatusQuery) as Promise<LiveStatus>, handle.describe()]);
    return { status, running: described.status.name === 'RUNNING', completed: described.status.name === 'COMPLETED', runId: described.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The refreshed part of the live page (console.js reloads it every two seconds while the canary runs). */
export async function canaryLive(deps: ConsoleDeps, ctx: PageContext, model: string): Promise<Html | undefined> {
  const found = await canaryStatus(deps, model);
  if (!found) return undefined;
  const { status: s, running, completed, runId } = found;
  const m = encodeURIComponent(model);
  const weights = [{ x: s.startedAt, y: 0 }, ...s.steps.map((st) => ({ x: st.startedAt, y: st.weight }))];
  if (s.endedAt) weights.push({ x: s.endedAt, y: s.weight });
  else weights.push({ x: new Date().toISOString(), y: s.weight });
  const aucPoints = (role: 'canary' | 'champion') => s.steps.map((st, i) => ({ x: `step ${i + 1} (${st.weight}%)`, y: st.measurement?.cumulative[role].auc ?? null }));
  const last = [...s.steps].reverse().find((st) => st.measurement);
  const scored = (role: 'canary' | 'champion') => (last?.measurement?.cumulative[role].scoreCounts ?? []).some((c) => c > 0);
  const hasAuc = s.steps.some((st) => st.measurement?.cumulative.canary.auc != null || st.measurement?.cumulative.champion.auc != null);
  const scoreBars = last && scored('canary') && scored('champion')
    ? (['champion', 'canary'] as const).flatMap((role) => {
        const counts = last.measurement!.cumulative[role].scoreCounts;
        const total = counts.reduce((a, b) => a + b, 0) || 1;
        return counts.map((c, i) => ({ label: (i / counts.length).toFixed(2), share: c / total, group: role }));
      })
    : [];
  const [weightSvg, aucSvg, scoreSvg] = await Promise.all([
    renderSvg(lineChart([{ name: 'canary weight %', points: weights }], { xTitle: 'time', yTitle: 'canary traffic %', xType: 'temporal', step: true, width: 420, height: 160 }), 'Canary traffic weight over time'),
    hasAuc
      ? renderSvg(lineChart([{ name: `canary v${s.candidate}`, points: aucPoints('canary') }, { name: `champion v${s.champion ?? '–'}`, points: aucPoints('champion'), dashed: true, color: '#d62728' }], { xTitle: 'traffic step', yTitle: 'live AUC', xType: 'ordinal', fitY: true, points: true, width: 320, height: 160 }), 'Live AUC of canary and champion per step')
      : Promise.resolve(''),
    scoreBars.length ? renderSvg(groupedBarChart(scoreBars, { groups: ['champion', 'canary'], colors: ['#b7bcc8', '#2f6fde'], height: 120 }), 'Prediction score distribution of champion and canary') : Promise.resolve(''),
  ]);
  const stepRows = s.steps.map((st, i) => [
    raw(String(i + 1)),
    raw(`${st.weight}%`),
    when(st.startedAt),
    html`${st.analysis ? badge(st.analysis.verdict, st.analysis.verdict === 'pass' ? 'ok' : st.analysis.verdict === 'fail' ? 'bad' : 'warn') : st.measurementError ? html`<span class="bad">${st.measurementError}</span>` : html`holding until ${when(st.holdUntil)}`}`,
    html`${(st.analysis?.checks ?? []).map((c) => html`<div>${c.name}: ${badge(c.verdict, c.verdict === 'pass' ? 'ok' : c.verdict === 'fail' ? 'bad' : 'info')} canary ${fmt(c.canary, 3)}${c.baseline !== null ? html` vs ${fmt(c.baseline, 3)}` : ''}${c.limit !== null ? html` (limit ${fmt(c.limit, 3)})` : ''}</div>`)}`,
    html`${st.decision ? `${st.decision.decision} by ${st.decision.by}: ${st.decision.reason}` : '–'}`,
  ]);
  const awaiting = s.stage === 'awaiting-decision';
  return html`<div id="canary-live" data-live-src="${`/ui/canaries/${m}/live`}" data-live="${running ? 'running' : 'done'}" aria-live="polite">
<p>Candidate <a href="/ui/models/${m}/versions/${s.candidate}">v${s.candidate}</a> against champion ${s.champion ? html`<a href="/ui/models/${m}/versions/${s.champion}">v${s.champion}</a>` : 'none'}:
stage <strong class="stage">${s.stage}</strong>, weight <strong class="weight">${s.weight}%</strong>, ${s.steps.length} step(s)${s.verdict ? html`, verdict ${badge(s.verdict, s.verdict === 'passed' ? 'ok' : 'bad')}` : ''}. Started ${when(s.startedAt)}${s.endedAt ? html`, ended ${when(s.endedAt)}` : ''}.${completed ? html` <a href="${canaryReportUrl(model, runId)}">Canary report</a> (JSON).` : ''}</p>
${s.reasons.length ? html`<ul>${s.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : ''}
<div class="charts"><figure class="chart">${raw(weightSvg)}</figure>${aucSvg ? html`<figure class="chart">${raw(aucSvg)}</figure>` : ''}${scoreSvg ? html`<figure class="chart">${raw(scoreSvg)}</figure>` : ''}</div>
${aucSvg && scoreSvg ? '' : html`<p class="muted">Live AUC and score-shift charts appear once the model server has scored labelled traffic for both versions.</p>`}
${table(['step', 'weight', 'started', 'verdict', 'checks (canary vs champion, limit)', 'decision'], stepRows, 'Traffic steps')}
${running ? html`<div class="actions">${awaiting ? html`${actionForm(ctx, 'approver', `/ui/canaries/${m}/approve`, 'Approve (continue)')}${actionForm(ctx, 'approver', `/ui/canaries/${m}/reject`, 'Reject (roll back)', { danger: true })}` : ''}${actionForm(ctx, 'approver', `/ui/canaries/${m}/abort`, 'Abort canary', { danger: true })}</div>` : ''}
</div>`;
}
