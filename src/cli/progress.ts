/**
 * Live per-step progress of a run for the terminal: states from the `status` query,
 * training fractions from the activities' heartbeat details.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { PipelineStatus, StepStatus } from '../workflows/pipeline-status';
import { statusQuery } from '../workflows/definitions';

export interface StepProgress {
  fraction?: number;
  detail?: string;
}

/** Heartbeat details of the run's pending activities, by step id (the activity summary starts with it). */
export async function heartbeatProgress(handle: WorkflowHandle): Promise<Map<string, StepProgress>> {
  const out = new Map<string, StepProgress>();
  const described = await handle.describe();
  for (const pending of described.raw.pendingActivities ?? []) {
    const payload = pending.heartbeatDetails?.payloads?.[0]?.data;
    if (!payload) continue;
    try {
      const d = JSON.parse(Buffer.from(payload).toString('utf8')) as { fraction?: number; phase?: string; epoch?: number; epochs?: number; loss?: number };
      const id = String(pending.activityId ?? '');
      const detail = [d.phase, d.epoch !== undefined ? `epoch ${d.epoch}/${d.epochs ?? '?'}` : undefined, d.loss !== undefined ? `loss ${d.loss.toFixed(4)}` : undefined]
        .filter(Boolean)
        .join(' ');
      out.set(`${pending.activityType?.name ?? ''}#${id}`, { fraction: d.fraction, detail });
    } catch {
      // Details from another SDK or encoding: show no bar rather than fail the display.
    }
  }
  return out;
}

export function renderStep(step: StepStatus, progress: StepProgress | undefined, width = 24): string {
  const done = step.state === 'succeeded' || step.state === 'cached' ? 1 : (progress?.fraction ?? (step.state === 'running' ? 0 : 0));
  const filled = Math.round(Math.max(0, Math.min(1, done)) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const secs = step.durationMs !== undefined ? `${(step.durationMs / 1000).toFixed(1)}s` : '';
  const extra = step.state === 'running' ? (progress?.detail ?? '') : step.error ? step.error.message.split('\n')[0] : '';
  return `${step.id.padEnd(12)} ${bar} ${step.state.padEnd(9)} ${secs.padStart(6)} ${extra}`.trimEnd();
}

/** Polls until the run closes, redrawing the step lines on a terminal or printing changes elsewhere. */
export async function followRun(handle: WorkflowHandle, out: NodeJS.WriteStream = process.stdout, intervalMs = 500): Promise<void> {
  let drawn = 0;
  const lastStates = new Map<string, string>();
  for (;;) {
    let status: PipelineStatus | undefined;
    try {
      status = await handle.query(statusQuery);
    } catch {
      // The first workflow task may not have run yet.
    }
    const progress = await heartbeatProgress(handle).catch(() => new Map<string, StepProgress>());
    if (status) {
      const byKind = (s: StepStatus) => [...progress.entries()].find(([k]) => k.startsWith(`${s.kind}#`))?.[1];
      if (out.isTTY) {
        if (drawn > 0) out.write(`\x1b[${drawn}A`);
        for (const step of status.steps) out.write(`\x1b[2K${renderStep(step, byKind(step))}\n`);
        drawn = status.steps.length;
      } else {
        for (const step of status.steps) {
          if (lastStates.get(step.id) !== step.state) {
            lastStates.set(step.id, step.state);
            if (step.state !== 'pending') out.write(`${renderStep(step, byKind(step))}\n`);
          }
        }
      }
      if (status.stage === 'completed' || status.stage === 'failed') return;
    }
    const { status: exec } = await handle.describe();
    if (exec.name !== 'RUNNING') return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
