/** `slipway schedule create | list | pause | unpause | trigger | backfill | delete`. */
import type { Command } from 'commander';
import type { AuditLog } from '../../audit/audit-log';
import type { Principal } from '../../auth/principal';
import { appenderFor, writeAhead } from '../../audit/write-ahead';
import { print, withClient, withClientActing } from '../context';

/** A `schedule.change` intent and outcome around each change; `operation` says which. */
const audited = <T>(
  audit: AuditLog,
  principal: Principal,
  model: string,
  operation: string,
  details: Record<string, unknown>,
  call: () => Promise<T>,
  outcome?: (result: T) => Record<string, unknown>,
) => writeAhead(appenderFor(audit, principal.name, 'cli'), { action: 'schedule.change', target: `schedule:${model}`, details: { operation, ...details } }, call, outcome);

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('continuous-training schedules (one per model)');
  schedule
    .command('create')
    .argument('<model>')
    .requiredOption('--pipeline <name>', 'named pipeline each run starts')
    .option('--every <duration>', 'interval, e.g. 1h or "1 day"')
    .option('--cron <expr...>', 'cron expression(s)')
    .option('--jitter <duration>')
    .option('--overlap <policy>', 'SKIP | BUFFER_ONE | BUFFER_ALL | CANCEL_OTHER | TERMINATE_OTHER | ALLOW_ALL', 'SKIP')
    .option('--catchup-window <duration>', 'how far back missed runs are caught up', '1 day')
    .option('--no-pause-on-failure', 'keep running after a failed run')
    .option('--paused', 'create paused')
    .option('--json')
    .action(async (model: string, o: { pipeline: string; every?: string; cron?: string[]; jitter?: string; overlap: string; catchupWindow: string; pauseOnFailure: boolean; paused?: boolean; json?: boolean }) =>
      withClientActing('schedule.manage', async ({ schedules, principal, audit }) => {
        const details = { pipeline: o.pipeline, every: o.every ?? null, cron: o.cron ?? [] };
        const view = await audited(audit, principal, model, 'create', details, () => schedules.create({
          model,
          input: { pipeline: o.pipeline },
          every: o.every,
          cron: o.cron ?? [],
          jitter: o.jitter,
          overlap: o.overlap as never,
          catchupWindow: o.catchupWindow,
          pauseOnFailure: o.pauseOnFailure,
          paused: !!o.paused,
        }, principal), (v) => ({ scheduleId: v.scheduleId }));
        print(!!o.json, view, () => `created ${view.scheduleId}; next runs: ${view.nextRuns.slice(0, 3).join(', ')}`);
      }),
    );
  schedule
    .command('list')
    .option('--json')
    .action(async (o: { json?: boolean }) =>
      withClient(async ({ schedules }) => {
        const views = await schedules.list();
        print(!!o.json, views, () =>
          views.length === 0 ? 'no schedules' : views.map((v) => `${v.model.padEnd(20)} ${v.paused ? 'paused ' : 'active '} next ${v.nextRuns[0] ?? '-'}`).join('\n'),
        );
      }),
    );
  for (const action of ['pause', 'unpause', 'trigger', 'delete'] as const) {
    schedule
      .command(action)
      .argument('<model>')
      .action(async (model: string) =>
        withClientActing('schedule.manage', async ({ schedules, principal, audit }) => {
          await audited(audit, principal, model, action, {}, () => schedules[action](model));
          console.log(`${action}: ${model}`);
        }),
      );
  }
  schedule
    .command('backfill')
    .argument('<model>')
    .requiredOption('--start <iso>')
    .requiredOption('--end <iso>')
    .action(async (model: string, o: { start: string; end: string }) =>
      withClientActing('schedule.manage', async ({ schedules, principal, audit }) => {
        await audited(audit, principal, model, 'backfill', { start: o.start, end: o.end }, () => schedules.backfill(model, new Date(o.start), new Date(o.end)));
        console.log(`backfill requested for ${model} from ${o.start} to ${o.end}`);
      }),
    );
}
