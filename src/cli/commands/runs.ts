/** `slipway run | status | runs | cancel`. */
import type { Command } from 'commander';
import { appenderFor, writeAhead } from '../../audit/write-ahead';
import { deepMerge } from '../../pipeline/parse-spec';
import { redactInput } from '../../pipeline/redact-input';
import type { PipelineResult } from '../../workflows/pipeline-status';
import { formatSummary } from '../print-summary';
import { followRun, renderStep } from '../progress';
import { CliError, parseSets, print, withClient, withClientActing } from '../context';
import { readPipelineFile } from '../pipeline-file';
import { InvalidPipelineInputError } from '../../errors';

interface RunOptions {
  file?: string;
  set: string[];
  overrides?: string;
  model?: string;
  key?: string;
  detach?: boolean;
  json?: boolean;
}

/** The spec's name when it is a valid id (the id prefix of the run); `pipeline` otherwise. */
function specName(spec: Record<string, unknown>): string {
  return typeof spec.name === 'string' && /^[a-z][a-z0-9-]*$/.test(spec.name) ? spec.name : 'pipeline';
}

function relabel(problem: string, file: string): string {
  if (problem.startsWith('input.spec.')) return `${file}: ${problem.slice('input.spec.'.length)}`;
  return problem.startsWith('input.spec:') ? `${file}${problem.slice('input.spec'.length)}` : problem;
}

/** Problems in an inline spec read from `file` name the file, not `input.spec`. */
async function namingFile<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (file === undefined || !(err instanceof InvalidPipelineInputError)) throw err;
    throw new InvalidPipelineInputError(err.problems.map((p) => relabel(p, file)), { cause: err });
  }
}

export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('start a pipeline and follow it step by step')
    .argument('[pipeline]', 'named pipeline under pipelines/, e.g. flight-delay (or give -f)')
    .option('-f, --file <path>', 'a pipeline file anywhere (YAML, as in pipelines/); read here and sent inline')
    .option('--set <step.path=value...>', 'override a step parameter (repeatable), e.g. --set ingest.window.from=2001-03-01', [])
    .option('--overrides <json>', 'overrides as one JSON object keyed by step id')
    .option('--model <name>', 'register under this model name')
    .option('--key <idempotency-key>', 'a retried command with the same key never starts a second run')
    .option('--detach', 'start and return without waiting')
    .option('--json', 'machine-readable output')
    .action(async (pipeline: string | undefined, opts: RunOptions) => {
      if ((pipeline === undefined) === (opts.file === undefined)) {
        throw new CliError('give a named pipeline (slipway run flight-delay) or a pipeline file (slipway run -f my-pipeline.yaml), not both');
      }
      let overrides: Record<string, unknown> = {};
      if (opts.overrides) {
        try {
          overrides = JSON.parse(opts.overrides);
        } catch (err) {
          throw new CliError(`--overrides: not valid JSON: ${(err as Error).message}`);
        }
      }
      overrides = deepMerge(overrides, parseSets(opts.set)) as Record<string, unknown>;
      const extra = { ...(Object.keys(overrides).length ? { overrides } : {}), ...(opts.model ? { model: opts.model } : {}) };
      const spec = opts.file ? await readPipelineFile(opts.file) : undefined;
      const input = spec ? { spec, ...extra } : { pipeline: pipeline!, ...extra };
      // An inline run's id starts with the file's pipeline name, as a named run's does.
      const idPrefix = spec ? { pipeline: specName(spec) } : input;
      await withClientActing('run.start', async ({ slipway, config, principal, audit }) => {
        // Loaded here, not at start-up: commands that never reach Temporal or DuckDB should not pay for them.
        const [{ resolvePipelineInput }, { loadTrainerRegistry }, { workflowIdFor }, { WorkflowFailedError }] = await Promise.all([
          import('../../pipeline/resolve-pipeline-input'),
          import('../../training/trainer-registry'),
          import('../../client/slipway-client'),
          import('@temporalio/client'),
        ]);
        // Resolve locally first: a typo is reported here, not as a failed run in the UI.
        await namingFile(opts.file, () =>
          resolvePipelineInput(
            {
              pipelinesDir: config.pipelinesDir,
              dataRoots: config.dataRoots.roots,
              trainers: loadTrainerRegistry(config.trust.trainersFile),
              inlineCommandPrincipals: config.trust.inlineCommandPrincipals,
            },
            input,
            { principal, via: 'ticket' },
          ),
        );
        // Audited ahead of the call: the intent names the run by the id it will get.
        const workflowId = workflowIdFor(idPrefix, opts.key);
        const run = await writeAhead(
          appenderFor(audit, principal.name, 'cli'),
          { action: 'run.start', target: `run:${workflowId}`, details: { workflowType: 'pipeline', input: redactInput(input), idempotencyKey: opts.key ?? null } },
          () => slipway.startPipeline(input, { idempotencyKey: opts.key, workflowId, principal }),
          (started) => ({ runId: started.runId, created: started.created }),
        );
        if (!opts.json) console.log(`${run.created ? 'Started' : 'Already started'} ${run.workflowId}\n  ${run.url ?? ''}`);
        if (opts.detach) {
          if (opts.json) print(true, run, () => '');
          return;
        }
        const handle = slipway.temporal.workflow.getHandle(run.workflowId);
        if (!opts.json) await followRun(handle);
        try {
          const result: PipelineResult = await handle.result();
          print(!!opts.json, result, () => `\n${formatSummary(result, run.url ?? '')}`);
          if (result.outcome === 'rejected') process.exitCode = 3;
        } catch (err) {
          if (!(err instanceof WorkflowFailedError)) throw err;
          throw new CliError(`Pipeline ${run.workflowId} failed: ${err.cause?.message ?? err.message}`);
        }
      });
    });

  program
    .command('status')
    .description('show the status of a run')
    .argument('<workflow-id>')
    .option('--json', 'machine-readable output')
    .action(async (workflowId: string, opts: { json?: boolean }) =>
      withClient(async ({ slipway }) => {
        const status = await slipway.getStatus(workflowId);
        print(!!opts.json, status, () =>
          [`${status.workflowId}  ${status.pipeline ?? ''}  stage ${status.stage}${status.outcome ? `  outcome ${status.outcome}` : ''}`, ...status.steps.map((s) => `  ${renderStep(s, undefined)}`)].join('\n'),
        );
      }),
    );

  program
    .command('runs')
    .description('list pipeline runs, newest first')
    .option('--model <name>')
    .option('--pipeline <name>')
    .option('--outcome <outcome>', 'promoted | rejected | completed | failed')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'machine-readable output')
    .action(async (opts: { model?: string; pipeline?: string; outcome?: string; limit: string; json?: boolean }) =>
      withClient(async ({ slipway }) => {
        const runs = await slipway.listRuns({ ...opts, limit: Number(opts.limit) });
        print(!!opts.json, runs, () =>
          runs.length === 0
            ? 'no runs'
            : runs.map((r) => `${r.startTime}  ${r.status.padEnd(10)} ${(r.outcome ?? '-').padEnd(9)} ${r.model ?? ''}  ${r.workflowId}`).join('\n'),
        );
      }),
    );

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} the promotion a run waits for (promote mode: manual)`)
      .argument('<workflow-id>')
      .requiredOption('--reason <text>', 'recorded with the model version')
      .option('--as <approver>', 'who decides, recorded as local:<name> when SLIPWAY_TOKEN is not set', process.env.USER ?? 'cli')
      .option('--json', 'machine-readable output')
      .action(async (workflowId: string, opts: { reason: string; as: string; json?: boolean }) =>
        withClientActing(
          decision === 'approve' ? 'run.approve' : 'run.reject',
          async ({ slipway, principal, audit }) => {
            const state = await writeAhead(
              appenderFor(audit, principal.name, 'cli'),
              { action: decision === 'approve' ? 'run.approve' : 'run.reject', target: `run:${workflowId}`, reason: opts.reason, details: { approver: principal.name } },
              () => slipway[decision](workflowId, { approver: principal.name, reason: opts.reason }, principal),
              (result) => ({ state: result.state }),
            );
            print(!!opts.json, state, () => `${workflowId}: promotion ${state.state} by ${state.decision?.approver}`);
          },
          {
            localName: opts.as,
            // Approving promotes: it needs a grant on the model the run promotes.
            resource: async ({ slipway }) => (decision === 'approve' ? { model: (await slipway.getStatus(workflowId)).model, alias: 'champion' } : {}),
          },
        ),
      );
  }

  program
    .command('cancel')
    .description('request cancellation of a run')
    .argument('<workflow-id>')
    .option('--reason <text>', 'recorded in the audit log')
    .action(async (workflowId: string, opts: { reason?: string }) =>
      withClientActing('run.cancel', async ({ slipway, principal, audit }) => {
        await writeAhead(appenderFor(audit, principal.name, 'cli'), { action: 'run.cancel', target: `run:${workflowId}`, reason: opts.reason }, () => slipway.cancel(workflowId));
        console.log(`cancellation requested for ${workflowId}`);
      }),
    );
}
