/**
 * Records the event history of one run on a throwaway dev server into
 * test/histories/<name>.history.pb, so test/replay.test.ts guards the workflow code path of
 * today's runs as well as older recordings. Record a new file for each new code path; never
 * replace one (a change that breaks an old recording would break runs in flight on a cluster).
 * Usage: npx tsx scripts/record-history.ts <name> [noop | flight-delay]
 *   noop (default): four no-op steps in a diamond (parallel steps, joins), a few seconds;
 *   flight-delay: the real pipeline on a one-week window of the flights (every step kind but canary).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../src/config';
import { createLogger, installTemporalLogger } from '../src/logger';
import { createWorker } from '../src/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/workflows/search-attributes';

const root = path.join(__dirname, '..');

/** Two branches that join: exercises ready-step scheduling, parallel steps and upstream inputs. */
const SPEC = {
  name: 'recorded-noop',
  model: 'recorded-noop',
  maxParallel: 2,
  steps: [
    { id: 'a', kind: 'noop' },
    { id: 'b', kind: 'noop', dependsOn: ['a'] },
    { id: 'c', kind: 'noop', dependsOn: ['a'] },
    { id: 'd', kind: 'noop', dependsOn: ['b', 'c'] },
  ],
};

const INPUTS: Record<string, unknown> = {
  noop: { spec: SPEC },
  'flight-delay': { pipeline: 'flight-delay', overrides: { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } } },
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const input = INPUTS[process.argv[3] ?? 'noop'];
  if (!input) throw new Error(`unknown run "${process.argv[3]}": one of ${Object.keys(INPUTS).join(', ')}`);
  if (!name || !/^[a-z0-9-]+$/.test(name)) throw new Error('usage: record-history.ts <name> (lower-case letters, digits, dashes)');
  const file = path.join(root, 'test', 'histories', `${name}.history.pb`);
  if (existsSync(file)) throw new Error(`${file} exists: recordings are never replaced, pick a new name`);
  const logger = createLogger('warn');
  installTemporalLogger(logger);
  const cli = execFileSync('bash', [path.join(root, 'scripts/temporal-cli.sh')]).toString().trim();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS },
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-record-'));
  try {
    const config = loadConfig({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_TASK_QUEUE: 'record', SLIPWAY_LOG_LEVEL: 'warn' });
    const slipway = await createWorker(config, env.nativeConnection, logger);
    const workflowId = `record-${name}`;
    await slipway.worker.runUntil(() =>
      env.client.workflow.execute('pipeline', { taskQueue: config.taskQueue, workflowId, args: [input] }),
    );
    await slipway.close();
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    // Binary protobuf: the JSON route (historyFromJSON) trips over protobufjs module duplication under vitest.
    writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    console.log(`${file}: ${history.events?.length} events`);
  } finally {
    await env.teardown();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
