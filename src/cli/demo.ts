/**
 * The demo: starts the flight-delay pipeline on the running worker, shows each step as it
 * moves, and prints the run's summary. Usage: `npm run demo -- [json-input]`.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { connectClient, runUrl } from '../client/connect';
import { loadConfig } from '../config';
import { statusQuery } from '../workflows/definitions';
import type { PipelineResult } from '../workflows/pipeline-status';
import { formatSummary } from './print-summary';

/* eslint-disable no-console -- a command-line entry point */
async function main(): Promise<void> {
  const config = loadConfig();
  const input = process.argv[2] ? JSON.parse(process.argv[2]) : { pipeline: 'flight-delay' };
  const client = await connectClient(config);
  const workflowId = `${input.pipeline ?? 'pipeline'}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const handle = await client.workflow.start('pipeline', {
    taskQueue: config.taskQueue,
    workflowId,
    args: [input],
    staticSummary: `Slipway demo: ${input.pipeline ?? 'inline'} pipeline`,
  });
  console.log(`Started ${workflowId}\n  ${runUrl(config, workflowId, handle.firstExecutionRunId)}`);
  const seen = new Map<string, string>();
  const poll = setInterval(() => {
    handle
      .query(statusQuery)
      .then((status) => {
        for (const step of status.steps) {
          if (seen.get(step.id) !== step.state && step.state !== 'pending') {
            seen.set(step.id, step.state);
            console.log(`  ${step.id.padEnd(10)} ${step.state}`);
          }
        }
      })
      .catch(() => undefined);
  }, 500);
  try {
    const result: PipelineResult = await handle.result().finally(() => clearInterval(poll));
    console.log(`\n${formatSummary(result, runUrl(config, workflowId, handle.firstExecutionRunId))}`);
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      console.error(`\nPipeline failed: ${err.cause?.message ?? err.message}`);
      console.error(`  ${runUrl(config, workflowId, handle.firstExecutionRunId)}`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  } finally {
    clearInterval(poll);
    await client.connection.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
