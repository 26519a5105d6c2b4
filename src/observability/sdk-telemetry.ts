/**
 * The Temporal SDK's own metrics (task slots, poll and schedule-to-start latencies, workflow and
 * activity completions…) come from the Core runtime's Prometheus exporter. It is bound to a free
 * loopback port and merged into the worker's /metrics by metrics-server.ts, so Prometheus scrapes
 * one port per worker. The Runtime is process-wide: this must run before any connection is made.
 */
import { createServer } from 'node:net';
import type { TelemetryOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { installTemporalLogger } from '../logger';

let sdkMetricsUrl: string | undefined;

/** Installs the Runtime with the SDK's Prometheus exporter (and Slipway's log adapter). */
export async function installSdkMetrics(logger: Logger): Promise<void> {
  const port = await freeLoopbackPort();
  const telemetryOptions: TelemetryOptions = {
    metrics: {
      // Prometheus conventions: counters end in _total, durations are seconds.
      prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, useSecondsForDurations: true },
    },
  };
  if (installTemporalLogger(logger, { telemetryOptions })) sdkMetricsUrl = `http://127.0.0.1:${port}/metrics`;
}

/** Where the SDK exporter answers, when installSdkMetrics installed it in this process. */
export function sdkMetricsEndpoint(): string | undefined {
  return sdkMetricsUrl;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
