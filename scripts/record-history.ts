/**
 * Records the event history of one real flight-delay run (one-week window) into
 * test/histories/, for the replay test. Re-record only on purpose: a workflow change that
 * makes the old history fail to replay would break runs in flight on a real cluster.
 * Usage: npx tsx scripts/record-history.ts [name]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createWorker } from '../src/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/workflows/search-attributes';

/* eslint-disable no-console -- script output */
async function main(): Promise<void> {
  const name = process.argv[2] ?? 'flight-delay';
  const root = path.join(__dirname, '..');
  const cli = execFileSync('bash', [path.join(root, 'scripts/temporal-cli.sh')]).toString().trim();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS },
  });
  const dataDir = path.join(root, 'data', `record-${Date.now()}`);
  const config = loadConfig({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_TASK_QUEUE: 'record', SLIPWAY_LOG_LEVEL: 'warn' });
  const { worker, close } = await createWorker(config, env.nativeConnection, createLogger('warn'));
  try {
    const workflowId = `record-${name}`;
    await worker.runUntil(
      env.client.workflow.execute('pipeline', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ pipeline: 'flight-delay', overrides: { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } } }],
      }),
    );
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    // Binary protobuf: the JSON route (historyFromJSON) trips over protobufjs module duplication under vitest.
    const file = path.join(root, 'test', 'histories', `${name}.history.pb`);
    writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    console.log(`wrote ${file} (${history.events?.length} events)`);
  } finally {
    await close();
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
