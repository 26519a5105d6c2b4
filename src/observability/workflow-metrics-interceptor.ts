/**
 * Workflow interceptor module (runs in the sandbox): reports each `pipeline` run's start and
 * end through the `slipwayRunMetrics` sink. Sinks are not called during replay, so a run is
 * counted once however often a worker replays it. Registered by the worker in
 * `interceptors.workflowModules`; workflow code itself is untouched.
 */
import { isCancellation, proxySinks, workflowInfo, type WorkflowInterceptorsFactory, type WorkflowInboundCallsInterceptor, type WorkflowExecuteInput, type Next } from '@temporalio/workflow';
import type { RunMetricsSinks } from './workflow-metrics-sinks';

const { slipwayRunMetrics } = proxySinks<RunMetricsSinks>();

/** The pipeline name a run was started with, e.g. `{"pipeline":"flight-delay"}`; `inline` for a spec given in full. */
function pipelineOf(input: unknown): string {
  const value = input && typeof input === 'object' ? (input as { pipeline?: unknown }).pipeline : undefined;
  return typeof value === 'string' && value.length > 0 ? value : 'inline';
}

class RunMetricsInbound implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    // Canary, rollback and continuous-training workflows have their own metrics (or none).
    if (workflowInfo().workflowType !== 'pipeline') return next(input);
    const pipeline = pipelineOf(input.args[0]);
    slipwayRunMetrics.started(pipeline);
    try {
      const result = await next(input);
      const outcome = (result as { outcome?: unknown } | undefined)?.outcome;
      slipwayRunMetrics.finished(pipeline, typeof outcome === 'string' ? outcome : 'completed');
      return result;
    } catch (err) {
      slipwayRunMetrics.finished(pipeline, isCancellation(err) ? 'cancelled' : 'failed');
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new RunMetricsInbound()],
});
