/**
 * Slipway's own Prometheus metrics: pipeline runs, steps, the step cache and canary verdicts.
 * Recorded on the worker side only (workflows cannot do I/O): steps in the step wrapper, runs
 * through a workflow sink (workflow-metrics-interceptor.ts), canaries when their report is written.
 * The names here are the ones deploy/grafana/slipway-dashboard.json queries; a test keeps them in step.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a step attempt ended: ran and succeeded, failed, reused the content cache, or found its own earlier attempt's record. */
export type StepOutcome = 'succeeded' | 'failed' | 'cached' | 'resumed';

/** What activities report; the step wrapper and the canary report writer call it. */
export interface PipelineMetrics {
  /** One step attempt ended. */
  stepFinished(e: { pipeline: string; kind: string; outcome: StepOutcome; seconds: number }): void;
  /** The step looked its content key up in the cache. */
  cacheLookup(e: { pipeline: string; kind: string; hit: boolean }): void;
  /** A pipeline workflow started (not counted again on replay). */
  runStarted(e: { pipeline: string }): void;
  /** A pipeline workflow ended; `outcome` is the result's outcome, or `failed` / `cancelled`. */
  runFinished(e: { pipeline: string; outcome: string; seconds: number }): void;
  /** A canary ended with its verdict, after `analyses` step verdicts (pass, fail, inconclusive). */
  canaryFinished(e: { model: string; verdict: string; analyses: string[] }): void;
  /**
   * A validate step compared a batch with the reference (the champion's training data): the share of
   * checked columns that drifted and the share at which the step calls it dataset drift.
   */
  driftMeasured(e: { pipeline: string; model: string; share: number; limit: number }): void;
}

/** Every metric name Slipway itself exposes (histograms add `_bucket`, `_sum`, `_count`). */
export const METRIC_NAMES = {
  runsStarted: 'slipway_pipeline_runs_started_total',
  runsFinished: 'slipway_pipeline_runs_finished_total',
  runDuration: 'slipway_pipeline_run_duration_seconds',
  steps: 'slipway_step_attempts_total',
  stepDuration: 'slipway_step_duration_seconds',
  cacheLookups: 'slipway_step_cache_lookups_total',
  canaryVerdicts: 'slipway_canary_verdicts_total',
  canaryAnalyses: 'slipway_canary_analyses_total',
  driftShare: 'slipway_validation_drift_share',
  driftLimit: 'slipway_validation_drift_share_limit',
} as const;

// Steps range from milliseconds (register) to many minutes (gradient boosting on millions of rows).
const STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const RUN_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/** Prometheus metrics in their own registry (one per worker process; tests may build several). */
export class PrometheusPipelineMetrics implements PipelineMetrics {
  readonly registry = new Registry();
  private readonly runsStarted = this.counter(METRIC_NAMES.runsStarted, 'Pipeline runs started', ['pipeline']);
  private readonly runsFinished = this.counter(METRIC_NAMES.runsFinished, 'Pipeline runs finished, by outcome (promoted, rejected, completed, failed, cancelled)', ['pipeline', 'outcome']);
  private readonly runDuration = new Histogram({
    name: METRIC_NAMES.runDuration,
    help: 'Pipeline run duration from workflow start to end, seconds',
    labelNames: ['pipeline', 'outcome'],
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });
  private readonly steps = this.counter(METRIC_NAMES.steps, 'Step activity attempts, by outcome (succeeded, failed, cached, resumed)', ['pipeline', 'kind', 'outcome']);
  private readonly stepDuration = new Histogram({
    name: METRIC_NAMES.stepDuration,
    help: 'Step activity attempt duration, seconds',
    labelNames: ['pipeline', 'kind', 'outcome'],
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  private readonly cacheLookups = this.counter(METRIC_NAMES.cacheLookups, 'Step cache lookups, by result (hit, miss)', ['pipeline', 'kind', 'result']);
  private readonly canaryVerdicts = this.counter(METRIC_NAMES.canaryVerdicts, 'Canaries ended, by verdict (passed, rolled-back, aborted, skipped)', ['model', 'verdict']);
  private readonly canaryAnalyses = this.counter(METRIC_NAMES.canaryAnalyses, 'Canary step analyses, by verdict (pass, fail, inconclusive)', ['model', 'verdict']);

  // Gauges, not counters: an alert asks whether the latest batch of a model drifted past its limit.
  private readonly driftShare = this.gauge(METRIC_NAMES.driftShare, 'Share of checked columns that drifted in the latest validated batch (0..1)');
  private readonly driftLimit = this.gauge(METRIC_NAMES.driftLimit, 'Drifted-column share at which the validate step declares dataset drift (its maxDriftedFraction)');

  /** @param processMetrics also expose Node's process_* and nodejs_* metrics. @default true */
  constructor(processMetrics = true) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  stepFinished(e: { pipeline: string; kind: string; outcome: StepOutcome; seconds: number }): void {
    const labels = { pipeline: e.pipeline, kind: e.kind, outcome: e.outcome };
    this.steps.inc(labels);
    this.stepDuration.observe(labels, e.seconds);
  }

  cacheLookup(e: { pipeline: string; kind: string; hit: boolean }): void {
    this.cacheLookups.inc({ pipeline: e.pipeline, kind: e.kind, result: e.hit ? 'hit' : 'miss' });
  }

  runStarted(e: { pipeline: string }): void {
    this.runsStarted.inc({ pipeline: e.pipeline });
  }

  runFinished(e: { pipeline: string; outcome: string; seconds: number }): void {
    this.runsFinished.inc({ pipeline: e.pipeline, outcome: e.outcome });
    this.runDuration.observe({ pipeline: e.pipeline, outcome: e.outcome }, e.seconds);
  }

  canaryFinished(e: { model: string; verdict: string; analyses: string[] }): void {
    this.canaryVerdicts.inc({ model: e.model, verdict: e.verdict });
    for (const verdict of e.analyses) this.canaryAnalyses.inc({ model: e.model, verdict });
  }

  driftMeasured(e: { pipeline: string; model: string; share: number; limit: number }): void {
    this.driftShare.set({ pipeline: e.pipeline, model: e.model }, e.share);
    this.driftLimit.set({ pipeline: e.pipeline, model: e.model }, e.limit);
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, labelNames: ['pipeline', 'model'], registers: [this.registry] });
  }

  private counter(name: string, help: string, labelNames: string[]): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
