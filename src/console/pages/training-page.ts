/** Continuous training: each continuousTraining workflow's policy, its last checks with their reasons, and the next check; the newest week-by-week simulation. */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ContinuousTrainingInput, ContinuousTrainingStatus } from '../../workflows/continuous-training-status';
import type { ConsoleDeps } from '../console-deps';
import { badge, html, table, when, type Html } from '../html';
import { toMs } from '../../duration/duration';
import { simulationSection } from '../simulation-section';

const SHOWN_CHECKS = 10;

export async function trainingPage(deps: ConsoleDeps): Promise<Html> {
  const sections: Html[] = [];
  for await (const info of deps.slipway.temporal.workflow.list({ query: `WorkflowType = 'continuousTraining' AND ExecutionStatus = 'Running'` })) {
    const handle = deps.slipway.temporal.workflow.getHandle(info.workflowId, info.runId);
    const [status, input] = await Promise.all([handle.query<ContinuousTrainingStatus>('ctStatus'), startInput(handle)]);
    const last = status.decisions.at(-1);
    const every = input?.checkEvery ?? '1 hour';
    const next = last ? new Date(Date.parse(last.at) + toMs(every)).toISOString() : undefined;
    const rows = [...status.decisions].reverse().slice(0, SHOWN_CHECKS).map((d) => [
      when(d.at),
      d.retrain ? badge('retrain', 'warn') : badge('no retrain', 'ok'),
      html`${d.championVersion === null ? '–' : `v${d.championVersion}`}`,
      html`<ul>${d.reasons.map((r) => html`<li>${r}</li>`)}</ul>`,
      html`${d.workflowId ? html`<a href="/ui/runs/${encodeURIComponent(d.workflowId)}">${d.workflowId}</a> ${d.outcome ?? ''}` : '–'}${d.error ? html` <span class="bad">${d.error}</span>` : ''}`,
    ]);
    sections.push(html`<section><h2>${status.model} <small>${info.workflowId}</small></h2>
<p>Pipeline <strong>${input?.pipeline ?? '–'}</strong>, checks every ${every}; ${status.checksDone} checks so far${status.running ? html`, retrain <a href="/ui/runs/${encodeURIComponent(status.running)}">${status.running}</a> running` : ''}. Next check ${next ? when(next) : 'soon'}.</p>
<p>Policy: <code>${JSON.stringify(input?.policy ?? {})}</code></p>
${table(['checked', 'decision', 'champion', 'reasons', 'retrain run'], rows, 'Last checks')}</section>`);
  }
  const workflows = sections.length ? html`${sections}` : html`<p class="muted">No continuous-training workflow is running. See docs/continuous-training.md to start one.</p>`;
  return html`${workflows}${await simulationSection(deps.simulationReportsDir)}`;
}

/** The workflow's input (its policy), from the first event of its history. */
async function startInput(handle: WorkflowHandle): Promise<ContinuousTrainingInput | undefined> {
  try {
    const history = await handle.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return payload ? defaultPayloadConverter.fromPayload(payload as never) : undefined;
  } catch {
    return undefined;
  }
}
