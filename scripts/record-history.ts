/**
 * Records the event history of one run on a throwaway dev server into
 * test/histories/<name>.history.pb, so test/replay.test.ts guards the workflow code path of
 * today's runs as well as older recordings. Record a new file for each new code path; never
 * replace one (a change that breaks an old recording would break runs in flight on a cluster).
 * Usage: npx tsx scripts/record-history.ts <name> [noop | flight-delay | continuous-training]
 *   noop (default): four no-op steps in a diamond (parallel steps, joins), a few seconds;
 *   flight-delay: the real pipeline on a one-week window of the flights (every step kind but canary);
 *   continuous-training: the continuousTraining workflow for two checks a second apart: the first
 *   retrains (no champion yet: a child flight-delay-builtin run), the second finds no new rows and
 *   probes the newest data for drift.
 * Or record a finished run of a server that is up (e.g. the canaries of `make demo`, which need a
 * model server and traffic): npx tsx scripts/record-history.ts <name> --from <workflowId> <runId>
 * (TEMPORAL_ADDRESS, default localhost:7233; namespace default).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
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

const NINE_DAYS = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } };

const RUNS: Record<string, { workflow: 'pipeline' | 'continuousTraining'; input: unknown }> = {
  noop: { workflow: 'pipeline', input: { spec: SPEC } },
  'flight-delay': { workflow: 'pipeline', input: { pipeline: 'flight-delay', overrides: NINE_DAYS } },
  'continuous-training': {
    workflow: 'continuousTraining',
    input: { model: 'recorded-ct', pipeline: 'flight-delay-builtin', overrides: NINE_DAYS, maxChecks: 2, checkEvery: '1s', policy: { minNewRows: 1000, onDrift: true } },
  },
};

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9-]+$/.test(name)) throw new Error('usage: record-history.ts <name> (lower-case letters, digits, dashes)');
  const file = path.join(root, 'test', 'histories', `${name}.history.pb`);
  if (existsSync(file)) throw new Error(`${file} exists: recordings are never replaced, pick a new name`);
  if (process.argv[3] === '--from') return recordFinished(file, process.argv[4], process.argv[5]);
  const run = RUNS[process.argv[3] ?? 'noop'];
  if (!run) throw new Error(`unknown run "${process.argv[3]}": one of ${Object.keys(RUNS).join(', ')}, or --from <workflowId> <runId>`);
  const logger = createLogger('warn');
  installTemporalLogger(logger);
  const cli = execFileSync('bash', [path.join(root, 'scripts/temporal-cli.sh')]).toString().trim();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS },
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-record-'));
  try {
    // As in the local dev setup (scripts/worker.sh): unsigned runs act as dev:local, so a retrain may name its model.
    const config = loadConfig({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_TASK_QUEUE: 'record', SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_DEV_PRINCIPAL: 'local' });
    const slipway = await createWorker(config, env.nativeConnection, logger);
    const workflowId = `record-${name}`;
    await slipway.worker.runUntil(() =>
      env.client.workflow.execute(run.workflow, { taskQueue: config.taskQueue, workflowId, args: [run.input as never] }),
    );
    await slipway.close();
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    // Binary protobuf: the JSON route (historyFromJSON) trips over protobufjs module duplication under vitest.
    writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    // The history does not carry the run's own id; test/replay.test.ts replays under it (child ids derive from it).
    writeFileSync(file.replace(/\.history\.pb$/, '.workflow-id'), `${workflowId}\n`);
    console.log(`${file}: ${history.events?.length} events`);
  } finally {
    await env.teardown();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A finished run of a server that is up, as it is: only closed histories, so the recording is whole. */
async function recordFinished(file: string, workflowId: string | undefined, runId: string | undefined): Promise<void> {
  if (!workflowId || !runId) throw new Error('usage: record-history.ts <name> --from <workflowId> <runId>');
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  try {
    const handle = new Client({ connection }).workflow.getHandle(workflowId, runId);
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') throw new Error(`${workflowId} ${runId} is still running: record it once it has closed`);
    const history = await handle.fetchHistory();
    writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    writeFileSync(file.replace(/\.history\.pb$/, '.workflow-id'), `${workflowId}\n`);
    console.log(`${file}: ${history.events?.length} events of ${workflowId} (${status.name})`);
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
