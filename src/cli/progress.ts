/**
 * Live per-step progress of a run for the terminal: states from the `status` query, training
 * fractions from the activities' heartbeat details. Bars are keyed by step id (heartbeats name
 * their step), so parallel candidates such as train-lr and train-sklearn each get their own.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { MultiBar, type SingleBar } from 'cli-progress';
import type { PipelineStatus, StepStatus } from '../workflows/pipeline-status';
import { statusQuery } from '../workflows/definitions';

export interface StepProgress {
  fraction?: number;
  detail?: string;
}

interface HeartbeatDetails {
  step?: string;
  fraction?: number;
  phase?: string;
  epoch?: number;
  epochs?: number;
  loss?: number;
}

/** Heartbeat details of the run's pending activities, by the step id each heartbeat names. */
export async function heartbeatProgress(handle: WorkflowHandle): Promise<Map<string, StepProgress>> {
  const out = new Map<string, StepProgress>();
  const described = await handle.describe();
  for (const pending of described.raw.pendingActivities ?? []) {
    const payload = pending.heartbeatDetails?.payloads?.[0]?.data;
    if (!payload) continue;
    try {
      const d = JSON.parse(Buffer.from(payload).toString('utf8')) as HeartbeatDetails;
      if (!d.step) continue;
      out.set(d.step, { fraction: d.fraction, detail: describeHeartbeat(d) });
    } catch {
      // Details from another SDK or encoding: show no bar rather than fail the display.
    }
  }
  return out;
}

function describeHeartbeat(d: HeartbeatDetails): string {
  return [d.phase, d.epoch !== undefined ? `epoch ${d.epoch}/${d.epochs ?? '?'}` : undefined, d.loss !== undefined ? `loss ${d.loss.toFixed(4)}` : undefined]
    .filter(Boolean)
    .join(' ');
}

/** How far a step is, 0–1: done steps are full, running ones at their last reported fraction. */
const doneFraction = (step: StepStatus, progress: StepProgress | undefined): number =>
  step.state === 'succeeded' || step.state === 'cached' ? 1 : Math.max(0, Math.min(1, progress?.fraction ?? 0));

const seconds = (step: StepStatus): string => (step.durationMs !== undefined ? `${(step.durationMs / 1000).toFixed(1)}s` : '');

const extra = (step: StepStatus, progress: StepProgress | undefined): string =>
  step.state === 'running' ? (progress?.detail ?? '') : step.error ? step.error.message.split('\n')[0] : '';

/** One plain line per step, for logs, pipes and `slipway status`. */
export function renderStep(step: StepStatus, progress: StepProgress | undefined, width = 24): string {
  const filled = Math.round(doneFraction(step, progress) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  return `${step.id.padEnd(12)} ${bar} ${step.state.padEnd(9)} ${seconds(step).padStart(6)} ${extra(step, progress)}`.trimEnd();
}

/** Live bars on a terminal, one per step id, drawn by cli-progress. */
class TerminalBars {
  private readonly multi: MultiBar;
  private readonly bars = new Map<string, SingleBar>();

  constructor(out: NodeJS.WriteStream) {
    this.multi = new MultiBar({
      stream: out,
      format: '{step} [{bar}] {state} {secs} {detail}',
      barCompleteChar: '#',
      barIncompleteChar: '-',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
    });
  }

  draw(status: PipelineStatus, progress: Map<string, StepProgress>): void {
    for (const step of status.steps) {
      const p = progress.get(step.id);
      const payload = { step: step.id.padEnd(12), state: step.state.padEnd(9), secs: seconds(step).padStart(6), detail: extra(step, p) };
      const value = Math.round(doneFraction(step, p) * 100);
      const bar = this.bars.get(step.id);
      if (bar) bar.update(value, payload);
      else this.bars.set(step.id, this.multi.create(100, value, payload));
    }
  }

  stop(): void {
    this.multi.stop();
  }
}

/** Polls until the run closes, drawing live bars on a terminal or printing state changes elsewhere. */
export async function followRun(handle: WorkflowHandle, out: NodeJS.WriteStream = process.stdout, intervalMs = 500): Promise<void> {
  const bars = out.isTTY ? new TerminalBars(out) : undefined;
  const lastStates = new Map<string, string>();
  try {
    for (;;) {
      let status: PipelineStatus | undefined;
      try {
        status = await handle.query(statusQuery);
      } catch {
        // The first workflow task may not have run yet.
      }
      const progress = await heartbeatProgress(handle).catch(() => new Map<string, StepProgress>());
      if (status) {
        if (bars) bars.draw(status, progress);
        else {
          for (const step of status.steps) {
            if (lastStates.get(step.id) !== step.state) {
              lastStates.set(step.id, step.state);
              if (step.state !== 'pending') out.write(`${renderStep(step, progress.get(step.id))}\n`);
            }
          }
        }
        if (status.stage === 'completed' || status.stage === 'failed') return;
      }
      const { status: exec } = await handle.describe();
      if (exec.name !== 'RUNNING') return;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    bars?.stop();
  }
}
