/**
 * Benchmark: a whole pipeline (default flight-delay-builtin) on all 3,000,000 flights, with per-step wall
 * time and the worker's peak RSS. Floors measured in the same run:
 *   - bare DuckDB: read the Parquet, derive the same features, write train/holdout Parquet
 *   - plain Temporal: a workflow with six no-op activities on the same dev server
 * Usage: npm run bench:pipeline
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { sqlString, withDuckDb } from '../src/data/duckdb';
import { resolveSourcePath } from '../src/data/source-path';
import { createLogger, installTemporalLogger } from '../src/logger';
import { createWorker } from '../src/worker';
import type { PipelineResult } from '../src/workflows/pipeline-status';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/workflows/search-attributes';

const root = path.join(__dirname, '..');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function bareDuckDb(dir: string): Promise<number> {
  const file = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
  const started = performance.now();
  await withDuckDb({ threads: 2 }, async (conn) => {
    await conn.run(`CREATE TEMP TABLE r AS SELECT hour(date) AS hour, dayofweek(date) AS weekday, month(date) AS month,
      CAST(distance AS DOUBLE) AS distance, origin, destination, CAST(delay > 15 AS INTEGER) AS label, date AS event_time
      FROM read_parquet(${sqlString(file)})`);
    await conn.run(`CREATE TEMP TABLE s AS SELECT *, event_time >= (SELECT quantile_disc(event_time, 0.8) FROM r) AS h FROM r`);
    await conn.run(`COPY (SELECT * EXCLUDE (h) FROM s WHERE NOT h) TO ${sqlString(path.join(dir, 'a.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
    await conn.run(`COPY (SELECT * EXCLUDE (h) FROM s WHERE h) TO ${sqlString(path.join(dir, 'b.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
  });
  return performance.now() - started;
}

/** The foundation pipeline by default; `npm run bench:pipeline -- flight-delay` adds the scikit-learn candidate. */
const pipelineName = process.argv[2] ?? 'flight-delay-builtin';

async function main(): Promise<void> {
  installTemporalLogger(createLogger('warn'));
  const cli = execFileSync('bash', [path.join(root, 'scripts/temporal-cli.sh')]).toString().trim();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS },
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-'));
  try {
    const config = loadConfig({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_TASK_QUEUE: 'bench', SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_DEV_PRINCIPAL: 'local' });
    const { worker, close } = await createWorker(config, env.nativeConnection, createLogger('warn'));
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const result = (await worker.runUntil(
      env.client.workflow.execute('pipeline', { taskQueue: 'bench', workflowId: 'bench-full', args: [{ pipeline: pipelineName }] }),
    )) as PipelineResult;
    const totalMs = performance.now() - started;
    await close();
    // Peak RSS is read before the floors run: they share this process and must not count.
    const peakRssMb = process.resourceUsage().maxRSS / 1024;

    const duckMs = await bareDuckDb(dataDir);

    const plain = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-plain',
      workflowsPath: require.resolve('./floors/plain-workflow'),
      activities: { noop: async (i: number) => i },
    });
    const plainMs = await plain.runUntil(async () => {
      await env.client.workflow.execute('plainSixSteps', { taskQueue: 'bench-plain', workflowId: 'warmup' });
      const t = performance.now();
      await env.client.workflow.execute('plainSixSteps', { taskQueue: 'bench-plain', workflowId: 'plain' });
      return performance.now() - t;
    });


    const ingest = result.outputs.ingest.summary;
    const metrics = result.outputs.evaluate.summary.metrics as Record<string, number>;
    console.log(`${pipelineName} pipeline on ${Number(ingest.trainRows) + Number(ingest.holdoutRows)} rows (train ${ingest.trainRows}, holdout ${ingest.holdoutRows})`);
    console.log(`outcome ${result.outcome}, holdout AUC ${metrics.auc.toFixed(4)}, log loss ${metrics.logLoss.toFixed(4)}`);
    console.log('\nstep         wall time');
    for (const step of result.steps) console.log(`${step.id.padEnd(12)} ${seconds(step.durationMs ?? 0).padStart(9)}`);
    const stepSum = result.steps.reduce((s, x) => s + (x.durationMs ?? 0), 0);
    console.log(`${'total'.padEnd(12)} ${seconds(totalMs).padStart(9)}   (target <= 60 s)`);
    console.log(`\nworker peak RSS   ${peakRssMb.toFixed(0)} MB (process, incl. client; RSS before run ${(rssBefore / 2 ** 20).toFixed(0)} MB; target <= 1024 MB)`);
    console.log('\nfloors (same run)');
    const ingestMs = result.steps.find((s) => s.id === 'ingest')?.durationMs ?? 0;
    console.log(`bare DuckDB feature+split+write   ${seconds(duckMs)}   ingest step / floor = ${(ingestMs / duckMs).toFixed(2)}x`);
    console.log(`plain Temporal, 6 no-op steps     ${seconds(plainMs)}   orchestration outside steps = ${seconds(totalMs - stepSum)}`);
  } finally {
    await env.teardown();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
