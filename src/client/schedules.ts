/**
 * Continuous training on Temporal Schedules: one schedule per model, every option users
 * need (cron or interval, jitter, overlap, catch-up window, pause on failure, backfill).
 */
import { ScheduleNotFoundError, type Client, type ScheduleOverlapPolicy } from '@temporalio/client';
import type { Principal } from '../auth/principal';
import { scheduleTicket } from '../auth/signed-claims';
import { z } from 'zod';
import { toMs } from '../duration/duration';
import { durationSchema as duration } from '../duration/duration-schema';
import { InvalidPipelineInputError } from '../errors';
import { formatIssues } from '../pipeline/parse-spec';


export const scheduleRequestSchema = z
  .object({
    /** The model this schedule retrains; one schedule per model. */
    model: z.string().regex(/^[a-z][a-z0-9-]*$/),
    /** Workflow input of each run, e.g. `{"pipeline":"flight-delay"}`. */
    input: z.record(z.string(), z.unknown()),
    cron: z.array(z.string().min(9)).default([]),
    every: duration.optional(),
    jitter: duration.optional(),
    overlap: z.enum(['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL']).default('SKIP'),
    catchupWindow: duration.default('1 day'),
    pauseOnFailure: z.boolean().default(true),
    paused: z.boolean().default(false),
    note: z.string().max(500).optional(),
  })
  .strict()
  .refine((s) => s.cron.length > 0 || s.every !== undefined, { message: 'give "every" (an interval) or "cron" (one or more expressions)' });

export type ScheduleRequest = z.input<typeof scheduleRequestSchema>;

export interface ScheduleView {
  scheduleId: string;
  model: string;
  paused: boolean;
  note?: string;
  nextRuns: string[];
  recentRuns: { workflowId: string; scheduledAt: string }[];
  spec: { cron: string[]; every: string[] };
}

export const scheduleIdFor = (model: string): string => `slipway-${model}`;

export class PipelineSchedules {
  /** @param signingKey SLIPWAY_RUN_SIGNING_KEY: the schedule's runs then carry a ticket for the principal who created it. */
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly signingKey?: string,
  ) {}

  /** `owner`: who creates the schedule (an admin); its runs act for them (docs/trust-boundary.md). */
  async create(request: ScheduleRequest, owner?: Principal): Promise<ScheduleView> {
    const parsed = scheduleRequestSchema.safeParse(request);
    if (!parsed.success) throw new InvalidPipelineInputError(formatIssues(parsed.error.issues, 'schedule'));
    const s = parsed.data;
    const scheduleId = scheduleIdFor(s.model);
    await this.client.schedule.create({
      scheduleId,
      spec: {
        cronExpressions: s.cron,
        intervals: s.every ? [{ every: toMs(s.every) }] : [],
        jitter: s.jitter === undefined ? undefined : toMs(s.jitter),
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'pipeline',
        taskQueue: this.taskQueue,
        workflowId: `${s.model}-scheduled`,
        args: [this.signed(`${s.model}-scheduled`, { ...s.input, model: s.input.model ?? s.model }, owner)],
      },
      policies: {
        overlap: s.overlap as ScheduleOverlapPolicy,
        catchupWindow: toMs(s.catchupWindow),
        pauseOnFailure: s.pauseOnFailure,
      },
      state: { paused: s.paused, note: s.note },
    });
    return this.describe(s.model);
  }

  private signed(workflowIdBase: string, rawInput: Record<string, unknown>, owner?: Principal): Record<string, unknown> {
    const { ticket: _ignored, ...input } = rawInput;
    return this.signingKey && owner ? { ...input, ticket: scheduleTicket(this.signingKey, owner, workflowIdBase, input) } : input;
  }

  async describe(model: string): Promise<ScheduleView> {
    const d = await this.client.schedule.getHandle(scheduleIdFor(model)).describe();
    return {
      scheduleId: d.scheduleId,
      model,
      paused: d.state.paused,
      note: d.state.note,
      nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
      recentRuns: d.info.recentActions.map((a) => ({
        workflowId: a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : '',
        scheduledAt: a.scheduledAt.toISOString(),
      })),
      spec: {
        cron: d.spec.calendars?.map((c) => JSON.stringify(c)) ?? [],
        every: d.spec.intervals?.map((i) => String(i.every)) ?? [],
      },
    };
  }

  async list(): Promise<ScheduleView[]> {
    const views: ScheduleView[] = [];
    for await (const summary of this.client.schedule.list()) {
      if (!summary.scheduleId.startsWith('slipway-')) continue;
      views.push(await this.describe(summary.scheduleId.slice('slipway-'.length)));
    }
    return views;
  }

  async pause(model: string, note = 'paused by Slipway'): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdFor(model)).pause(note);
  }

  async unpause(model: string, note = 'unpaused by Slipway'): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdFor(model)).unpause(note);
  }

  /** Runs the schedule's action now, whatever its spec says. */
  async trigger(model: string): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdFor(model)).trigger();
  }

  async backfill(model: string, start: Date, end: Date): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdFor(model)).backfill({ start, end, overlap: 'ALLOW_ALL' });
  }

  async delete(model: string): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdFor(model)).delete();
  }

  async exists(model: string): Promise<boolean> {
    try {
      await this.client.schedule.getHandle(scheduleIdFor(model)).describe();
      return true;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return false;
      throw err;
    }
  }
}
