/** Runs: the list with a start form; one run with its DAG, step states, reports and approval. */
import { readdir } from 'node:fs/promises';
import { resolvePipelineInput } from '../../pipeline/resolve-pipeline-input';
import { summaryOf } from '../../pipeline/step-outputs';
import type { StepStatus } from '../../workflows/pipeline-status';
import type { ConsoleDeps } from '../console-deps';
import { actionForm, artifactLink, badge, can, csrfField, fmt, html, raw, table, when, type Html, type PageContext } from '../html';

const STATE_TONE: Record<string, 'ok' | 'bad' | 'warn' | 'info'> = { succeeded: 'ok', cached: 'ok', failed: 'bad', running: 'warn', pending: 'info', skipped: 'info' };

export async function pipelineNames(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, '')).sort();
}

export async function runsList(deps: ConsoleDeps, ctx: PageContext, filter: { model?: string }): Promise<Html> {
  const [runs, names] = await Promise.all([deps.slipway.listRuns({ model: filter.model, limit: 50 }), pipelineNames(deps.pipelinesDir)]);
  const rows = runs.map((r) => [
    html`<a href="/ui/runs/${encodeURIComponent(r.workflowId)}">${r.workflowId}</a>`,
    html`${r.pipeline ?? '–'}`,
    r.model ? html`<a href="/ui/models/${encodeURIComponent(r.model)}">${r.model}</a>` : raw('–'),
    badge(r.status.toLowerCase(), r.status === 'COMPLETED' ? 'ok' : r.status === 'RUNNING' ? 'warn' : r.status === 'FAILED' ? 'bad' : 'info'),
    html`${r.stage ?? '–'}`,
    html`${r.outcome ?? '–'}`,
    when(r.startTime),
  ]);
  const start = can(ctx, 'operator')
    ? html`<section aria-labelledby="h-start"><h2 id="h-start">Start a pipeline</h2>
<form method="post" action="/ui/runs" class="action" enctype="multipart/form-data">${csrfField(ctx)}<label for="start-pipeline">Pipeline</label><select id="start-pipeline" name="pipeline">${names.map((n) => html`<option>${n}</option>`)}</select>
<label for="start-overrides">Overrides (JSON, optional)</label><input id="start-overrides" name="overrides" placeholder='{"ingest":{"window":{"from":"2001-03-01","to":"2001-03-10"}}}' size="60">
<label for="start-spec">or an inline spec (YAML or JSON)</label><textarea id="start-spec" name="spec" rows="2" cols="40"></textarea>
<label for="start-spec-file">or upload a spec file</label><input id="start-spec-file" name="specFile" type="file" accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"><button type="submit">Start</button></form></section>`
    : raw('');
  return html`${start}<section aria-labelledby="h-runs"><h2 id="h-runs">Recent runs</h2>${table(['run', 'pipeline', 'model', 'status', 'stage', 'outcome', 'started'], rows)}</section>`;
}

export async function runDetail(deps: ConsoleDeps, ctx: PageContext, workflowId: string): Promise<Html> {
  const status = await deps.slipway.getStatus(workflowId);
  const deps_ = await stepDependencies(deps.pipelinesDir, status.pipeline);
  const layers = layout(status.steps, deps_);
  const uiUrl = deps.slipway.url(status.workflowId, status.runId);
  const dag = html`<div class="dag" role="list" aria-label="Steps by dependency depth" tabindex="0">${layers.map(
    (layer) => html`<div class="layer">${layer.map((s) => html`<div class="step ${s.state}" role="listitem"><strong>${s.id}</strong> <small>${s.kind}</small><br>${badge(s.state, STATE_TONE[s.state])}${
      deps_[s.id]?.length ? html`<br><small>after ${deps_[s.id].join(', ')}</small>` : ''
    }</div>`)}</div>`,
  )}</div>`;
  const rows = status.steps.map((s) => [
    html`<strong>${s.id}</strong> <small>${s.kind}</small>`,
    badge(s.state, STATE_TONE[s.state]),
    raw(String(s.attempts)),
    raw(s.durationMs === undefined ? '–' : `${fmt(s.durationMs / 1000, 2)} s`),
    html`${s.cache ? (s.cache.outcome === 'hit' ? badge('cache hit', 'ok') : s.cache.outcome) : '–'}`,
    stepLinks(s),
    html`${s.error ? html`<span class="bad">${s.error.type ?? ''} ${s.error.message}</span>` : summaryLine(s)}`,
  ]);
  const approval = status.approval;
  const waiting = approval?.state === 'pending';
  return html`<p>Pipeline <strong>${status.pipeline ?? '–'}</strong>, model ${status.model ? html`<a href="/ui/models/${encodeURIComponent(status.model)}">${status.model}</a>` : '–'}, stage ${badge(status.stage)}${status.outcome ? html`, outcome ${badge(status.outcome, status.outcome === 'failed' ? 'bad' : 'ok')}` : ''}.
${uiUrl ? html`<a href="${uiUrl}">Open in the Temporal UI</a>` : ''}</p>
${approval ? html`<section aria-labelledby="h-approval"><h2 id="h-approval">Promotion approval</h2><p>${badge(approval.state, waiting ? 'warn' : approval.state === 'approved' ? 'ok' : 'bad')} requested ${when(approval.requestedAt)}, deadline ${when(approval.deadline)} (then ${approval.onTimeout}).</p>
${waiting ? html`${actionForm(ctx, 'approver', `/ui/runs/${encodeURIComponent(workflowId)}/approve`, 'Approve promotion')}${actionForm(ctx, 'approver', `/ui/runs/${encodeURIComponent(workflowId)}/reject`, 'Reject', { danger: true })}` : ''}</section>` : ''}
<section aria-labelledby="h-dag"><h2 id="h-dag">Pipeline graph</h2>${dag}</section>
<section aria-labelledby="h-steps"><h2 id="h-steps">Steps</h2>${table(['step', 'state', 'attempts', 'duration', 'cache', 'reports', 'summary'], rows)}</section>
${status.stage === 'running' ? actionForm(ctx, 'operator', `/ui/runs/${encodeURIComponent(workflowId)}/cancel`, 'Cancel run', { danger: true }) : ''}`;
}

/** Each step's dependencies, from the named pipeline's spec (runs of inline specs get a flat layout). */
async function stepDependencies(pipelinesDir: string, pipeline: string | undefined): Promise<Record<string, string[]>> {
  if (!pipeline) return {};
  try {
    const resolved = await resolvePipelineInput({ pipelinesDir }, { pipeline });
    return Object.fromEntries(resolved.spec.steps.map((s) => [s.id, [...(s.dependsOn ?? [])]]));
  } catch {
    return {};
  }
}

/** Steps grouped by depth (longest dependency chain before them), for a left-to-right drawing. */
function layout(steps: StepStatus[], dependsOn: Record<string, string[]>): StepStatus[][] {
  const depth = new Map<string, number>();
  const of = (id: string, seen = new Set<string>()): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(dependsOn[id] ?? []).map((p) => of(p, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const layers: StepStatus[][] = [];
  for (const s of steps) (layers[of(s.id)] ??= []).push(s);
  return layers.filter(Boolean);
}

function stepLinks(s: StepStatus): Html {
  const summary = s.summary ?? {};
  const uris = Object.entries(summary).filter(([k, v]) => typeof v === 'string' && v.startsWith('artifact://sha256/') && /report|page/i.test(k));
  return uris.length ? html`${uris.map(([k, v]) => html`${artifactLink(v as string, k)} `)}` : raw('–');
}

/** One line per step kind, read through the kind's summary type (a renamed field is a compile error). */
function summaryLine(s: StepStatus): Html {
  const bits: string[] = [];
  const ingest = summaryOf(s, 'ingest');
  if (ingest) bits.push(`trainRows: ${fmt(ingest.trainRows)}`, `holdoutRows: ${fmt(ingest.holdoutRows)}`);
  const validate = summaryOf(s, 'validate');
  if (validate) bits.push(`passed: ${validate.passed}`, `checks: ${validate.checks}`, `warnings: ${validate.warnings}`);
  const train = summaryOf(s, 'train');
  if (train) bits.push(`trainer: ${train.trainer}`, `trainSeconds: ${fmt(train.trainSeconds, 2)}`);
  const evaluate = summaryOf(s, 'evaluate');
  if (evaluate) {
    bits.push(`blessed: ${evaluate.blessed}`);
    const primary = evaluate.metrics[evaluate.primaryMetric];
    if (primary !== undefined) bits.push(`${evaluate.primaryMetric}: ${fmt(primary, 3)}`);
  }
  const register = summaryOf(s, 'register');
  if (register) bits.push(`version: ${register.version}`, `blessed: ${String(register.blessed)}`);
  const canary = summaryOf(s, 'canary');
  if (canary) bits.push(`canaryVerdict: ${canary.canaryVerdict ?? '–'}`);
  const promote = summaryOf(s, 'promote');
  if (promote) bits.push(`${promote.outcome}: v${promote.version} as ${promote.alias}`);
  if (s.state === 'cached') bits.push('cache hit');
  return html`${bits.join(' · ')}`;
}
