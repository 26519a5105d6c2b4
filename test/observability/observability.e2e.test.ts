/**
 * Worker metrics and tracing on a real dev server, with the flight-delay-builtin pipeline on a
 * few days of real flights: the worker's /metrics shows the run, its steps, cache hits and the
 * SDK's own series; every workflow and activity of the run leaves a span in one trace that starts
 * at the client; the Grafana dashboard queries only metrics the worker really exposes.
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { installSdkMetrics } from '../../src/observability/sdk-telemetry';
import { startTracing, type Tracing } from '../../src/observability/tracing';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { createWorker, type SlipwayWorker } from '../../src/worker';
import { startDevServer } from '../helpers/temporal-env';
import { dashboardMetricNames, metricFamilies } from './prometheus-text';

const DAYS = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } };

describe('worker observability on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  let dataDir: string;
  let slipway: SlipwayWorker;
  let running: Promise<void>;
  let tracing: Tracing;
  const spans = new InMemorySpanExporter();
  let client: Client;
  let taskQueue: string;

  beforeAll(async () => {
    const logger = createLogger(process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'error');
    // Before the dev server: the SDK's exporter is a Runtime option, fixed at install.
    await installSdkMetrics(logger);
    env = await startDevServer();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-observability-'));
    const config = loadConfig({
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_TASK_QUEUE: `test-${path.basename(dataDir)}`,
      SLIPWAY_PIPELINES_DIR: path.join(__dirname, '..', '..', 'pipelines'),
      SLIPWAY_LOG_LEVEL: process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'error',
      SLIPWAY_WORKER_METRICS_PORT: '0',
      // As in the local dev setup: unsigned runs act as dev:local, so the promotion is not held for an approval.
      SLIPWAY_DEV_PRINCIPAL: 'local',
    });
    taskQueue = config.taskQueue;
    tracing = startTracing({ serviceName: 'slipway-test', exporter: { spanProcessor: new SimpleSpanProcessor(spans) } });
    slipway = await createWorker(config, env.nativeConnection, logger, { plugins: [tracing.plugin] });
    running = slipway.worker.run();
    client = new Client({ connection: env.connection, plugins: [tracing.plugin] });
  });

  afterAll(async () => {
    slipway?.worker.shutdown();
    await running;
    await slipway?.close();
    await tracing?.shutdown();
    await env?.teardown();
    if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const runPipeline = async (workflowId: string): Promise<PipelineResult> => {
    const handle = await client.workflow.start('pipeline', { taskQueue, workflowId, args: [{ pipeline: 'flight-delay-builtin', overrides: DAYS }] });
    return (await handle.result()) as PipelineResult;
  };
  const scrape = async () => {
    const res = await fetch(`${slipway.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  let first: PipelineResult;

  it('exposes runs by pipeline and outcome, step attempts and durations, and the SDK metrics on /metrics', async () => {
    first = await runPipeline(`obs-${Date.now()}`);
    expect(first.outcome).toBe('promoted');
    // The second run of the same input reuses the cached ingest, validate and train outputs.
    const second = await runPipeline(`obs-again-${Date.now()}`);
    expect(second.steps.find((s) => s.id === 'ingest')?.cache?.outcome).toBe('hit');

    const text = await scrape();
    if (process.env.SLIPWAY_TEST_DUMP_METRICS) await import('node:fs/promises').then((fs) => fs.writeFile(process.env.SLIPWAY_TEST_DUMP_METRICS!, text));
    const p = 'pipeline="flight-delay-builtin"';
    expect(text).toContain(`slipway_pipeline_runs_started_total{${p}} 2`);
    expect(text).toMatch(new RegExp(`slipway_pipeline_runs_finished_total\\{${p},outcome="(promoted|rejected)"\\} [12]`));
    expect(text).toMatch(new RegExp(`slipway_pipeline_run_duration_seconds_count\\{${p},outcome="promoted"\\} [12]`));
    for (const kind of ['ingest', 'validate', 'train', 'evaluate', 'register', 'promote']) {
      expect(text).toContain(`slipway_step_attempts_total{${p},kind="${kind}",outcome="succeeded"}`);
      expect(text).toContain(`slipway_step_duration_seconds_count{${p},kind="${kind}",outcome="succeeded"}`);
    }
    expect(text).toContain(`slipway_step_attempts_total{${p},kind="ingest",outcome="cached"} 1`);
    expect(text).toContain(`slipway_step_cache_lookups_total{${p},kind="ingest",result="hit"} 1`);
    expect(text).toContain(`slipway_step_cache_lookups_total{${p},kind="ingest",result="miss"} 1`);
    // The Temporal SDK's own series, merged from the Core runtime's exporter.
    const names = metricFamilies(text);
    expect([...names.keys()].filter((n) => n.startsWith('temporal_')).length).toBeGreaterThan(10);
    expect(names.get('temporal_activity_execution_latency')).toBe('histogram');
    expect(names.get('process_cpu_user_seconds_total')).toBe('counter');
  });

  it('queries only metrics the worker exposes in the Grafana dashboard', async () => {
    const dashboard = JSON.parse(await readFile(path.join(__dirname, '..', '..', 'deploy', 'grafana', 'slipway-dashboard.json'), 'utf8'));
    const exposed = metricFamilies(await scrape());
    // The model-server row reads the model server's own /metrics: alert-rules.test.ts scrapes a real one for those.
    const used = dashboardMetricNames(dashboard).filter((name) => !name.startsWith('slipway_serving_'));
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('traces the run from the client through the workflow to every step activity', async () => {
    await tracing.plugin.otelOptions.spanProcessor.forceFlush();
    const all = spans.getFinishedSpans();
    const runSpans = all.filter((s) => s.spanContext().traceId === all.find((x) => x.name === 'StartWorkflow:pipeline')?.spanContext().traceId);
    const names = runSpans.map((s) => s.name);
    expect(names).toContain('StartWorkflow:pipeline');
    expect(names).toContain('RunWorkflow:pipeline');
    for (const activity of ['resolvePipeline', 'ingest', 'validate', 'train', 'evaluate', 'register', 'promote']) {
      expect(names).toContain(`StartActivity:${activity}`);
      expect(names).toContain(`RunActivity:${activity}`);
    }
    // Every span but the client's has its parent inside the same trace.
    const ids = new Set(runSpans.map((s) => s.spanContext().spanId));
    const orphans = runSpans.filter((s) => s.name !== 'StartWorkflow:pipeline' && !ids.has(s.parentSpanId ?? ''));
    expect(orphans.map((s) => s.name)).toEqual([]);
    expect(runSpans.every((s) => s.resource.attributes['service.name'] === 'slipway-test')).toBe(true);
  });
});
