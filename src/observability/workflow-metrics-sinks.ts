/**
 * The sink through which workflow code reports pipeline runs to the worker's metrics. Types
 * only, so the workflow sandbox can import it; the worker side is `runMetricsSinks`.
 */
import type { Sinks } from '@temporalio/workflow';

export interface RunMetricsSinks extends Sinks {
  slipwayRunMetrics: {
    started(pipeline: string): void;
    finished(pipeline: string, outcome: string): void;
  };
}
