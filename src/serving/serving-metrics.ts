/**
 * Prometheus metrics of the model server (prom-client), one series per model and version.
 * Hot-path series are bound to their labels once per version (bound-metrics.ts), so a request
 * pays for increments, not for label lookups.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { BoundCounter, BoundHistogram, type CounterSeries, type HistogramSeries } from './bound-metrics';
import type { DeploymentView, LoadFailure } from './deployment-manager';
import { SCORE_EDGES } from './histogram';
import type { LiveStats } from './live-stats';

/** The series one version writes on every request. */
export interface VersionSeries {
  ok: CounterSeries;
  error: CounterSeries;
  latency: HistogramSeries;
  scores: HistogramSeries;
  feedback: CounterSeries;
}

export type RejectReason = 'rate_limited' | 'overloaded' | 'unavailable' | 'unauthenticated' | 'forbidden' | 'label_quota';

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests: BoundCounter;
  private readonly latency: BoundHistogram;
  private readonly scores: BoundHistogram;
  private readonly feedback: BoundCounter;
  private readonly rejected: Counter<'reason'>;
  private readonly loadFailures: Counter<'model' | 'version' | 'error'>;
  private readonly weight: Gauge<'model' | 'version'>;
  private readonly shadow: Counter<'model' | 'version' | 'outcome'>;
  /** model → version → its series: two look-ups a request, no key string built. */
  private readonly series = new Map<string, Map<number, VersionSeries>>();
  private readonly shared = new Map<string, string[]>();

  constructor(live: LiveStats, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // prom-client's names already start with process_ / nodejs_: the prefix only says whose process it is.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'slipway_serving_' });
    this.requests = new BoundCounter({ name: 'slipway_serving_requests_total', help: 'Predict requests answered, by version and outcome (ok, error).', labelNames: ['model', 'version', 'outcome'], registers });
    this.latency = new BoundHistogram({
      name: 'slipway_serving_request_duration_seconds',
      help: 'Server-side predict latency, from routing to the answer.',
      labelNames: ['model', 'version'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.scores = new BoundHistogram({ name: 'slipway_serving_prediction_score', help: 'Predicted P(label = 1) per row.', labelNames: ['model', 'version'], buckets: SCORE_EDGES.slice(1), registers });
    this.feedback = new BoundCounter({ name: 'slipway_serving_feedback_labels_total', help: 'Ground-truth labels received.', labelNames: ['model', 'version'], registers });
    this.rejected = new Counter({ name: 'slipway_serving_rejected_total', help: 'Requests turned away before reaching a model.', labelNames: ['reason'], registers });
    this.loadFailures = new Counter({ name: 'slipway_serving_model_load_failures_total', help: 'Model versions refused at load (sha256 mismatch, unknown version, bad ONNX).', labelNames: ['model', 'version', 'error'], registers });
    this.shadow = new Counter({
      name: 'slipway_serving_shadow_requests_total',
      help: 'Requests mirrored to a shadow version, by outcome: scored, failed, or dropped (the shadow queue was full).',
      labelNames: ['model', 'version', 'outcome'],
      registers,
    });
    this.weight = new Gauge({ name: 'slipway_serving_traffic_share', help: 'Share of traffic routed to a version (0..1).', labelNames: ['model', 'version'], registers });
    // Quality gauges are computed at scrape time from the label windows.
    new Gauge({
      name: 'slipway_serving_live_accuracy',
      help: 'Accuracy over the last labelled predictions of a version.',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        this.reset();
        for (const q of live.qualities()) if (q.feedback.accuracy !== null) this.labels(q.model, String(q.version)).set(q.feedback.accuracy);
      },
    });
    new Gauge({
      name: 'slipway_serving_live_auc',
      help: 'ROC AUC over the last labelled predictions of a version.',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        this.reset();
        for (const q of live.qualities()) if (q.feedback.auc !== null) this.labels(q.model, String(q.version)).set(q.feedback.auc);
      },
    });
  }

  forVersion(model: string, version: number): VersionSeries {
    let versions = this.series.get(model);
    if (!versions) this.series.set(model, (versions = new Map()));
    let s = versions.get(version);
    if (!s) {
      const v = String(version);
      s = {
        ok: this.requests.labels(model, v, 'ok'),
        error: this.requests.labels(model, v, 'error'),
        latency: this.latency.labels(model, v),
        scores: this.scores.labels(model, v),
        feedback: this.feedback.labels(model, v),
      };
      versions.set(version, s);
    }
    return s;
  }

  reject(reason: RejectReason): void {
    this.rejected.labels(reason).inc();
  }

  shadowed(model: string, version: number, outcome: 'scored' | 'failed' | 'dropped'): void {
    this.shadow.labels(model, String(version), outcome).inc();
  }

  loadFailed(failure: LoadFailure): void {
    this.loadFailures.labels(failure.model, String(failure.version), failure.error).inc();
  }

  deploymentChanged(model: string, view: DeploymentView | undefined): void {
    // Versions that left the deployment lose their series instead of reporting a stale share.
    for (const version of this.shared.get(model) ?? []) this.weight.remove(model, version);
    const versions = (view?.versions ?? []).map((v) => String(v.version));
    view?.versions.forEach((v) => this.weight.labels(model, String(v.version)).set(v.share));
    this.shared.set(model, versions);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
