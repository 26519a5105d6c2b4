/**
 * What a worker process adds for observability, built from config by `createWorker`:
 * - metrics (SLIPWAY_WORKER_METRICS_PORT set): Slipway's pipeline metrics recorded by the step
 *   wrapper, the run-metrics workflow interceptor and its sink, served with the SDK's own metrics
 *   on `/metrics`;
 * - tracing (OTEL_* set): the OpenTelemetry plugin on every Worker.
 * Both off by default, in which case nothing here touches the worker.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { startMetricsServer } from './metrics-server';
import { PrometheusPipelineMetrics, type PipelineMetrics } from './pipeline-metrics';
import { sdkMetricsEndpoint } from './sdk-telemetry';
import { tracingFromConfig } from './tracing';
import type { RunMetricsSinks } from './workflow-metrics-sinks';

export interface WorkerObservability {
  /** Handed to createActivities; undefined when metrics are off. */
  metrics?: PipelineMetrics;
  /** Interceptors, sinks and plugins to merge into every Worker's options. */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks' | 'plugins'>;
  /** `http://host:port` of `/metrics`, when serving. */
  metricsUrl?: string;
  close(): Promise<void>;
}

// Under tsx and vitest the module is a .ts file that require.resolve does not know (see workflows-path.ts).
const RUN_METRICS_INTERCEPTOR = ['workflow-metrics-interceptor.ts', 'workflow-metrics-interceptor.js']
  .map((f) => path.join(__dirname, f))
  .find((f) => existsSync(f))!;

export async function startWorkerObservability(
  config: Pick<Readonly<Config>, 'observability'>,
  logger: Logger,
): Promise<WorkerObservability> {
  const tracing = tracingFromConfig(config);
  const workerOptions: WorkerObservability['workerOptions'] = tracing ? { plugins: [tracing.plugin] } : {};
  const m = config.observability.metrics;
  if (!m) return { workerOptions, close: async () => undefined };

  const metrics = new PrometheusPipelineMetrics();
  const server = await startMetricsServer({ registry: metrics.registry, host: m.host, port: m.port, sdkMetricsUrl: sdkMetricsEndpoint(), logger });
  logger.info({ url: `${server.url}/metrics`, sdkMetrics: sdkMetricsEndpoint() !== undefined }, 'worker metrics endpoint listening');
  return {
    metrics,
    workerOptions: {
      ...workerOptions,
      interceptors: { workflowModules: [RUN_METRICS_INTERCEPTOR] },
      sinks: runMetricsSinks(metrics),
    },
    metricsUrl: server.url,
    close: () => server.close(),
  };
}

/** The worker side of the `slipwayRunMetrics` sink; not called on replay, so each run counts once. */
export function runMetricsSinks(metrics: PipelineMetrics): InjectedSinks<RunMetricsSinks> {
  return {
    slipwayRunMetrics: {
      started: { fn: (_info, pipeline) => metrics.runStarted({ pipeline }) },
      finished: {
        fn: (info, pipeline, outcome) =>
          metrics.runFinished({ pipeline, outcome, seconds: (Date.now() - info.runStartTime.getTime()) / 1000 }),
      },
    },
  };
}
