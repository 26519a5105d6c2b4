/**
 * The protocol-neutral inference path: admission, routing with a lease, scoring, the feedback
 * ledger, live stats and metrics. Every protocol route (`/v1` today; others decode and encode
 * their own bodies) calls `infer`, so the traffic split, sticky routing, per-version stats and
 * feedback keys are the same whichever protocol a request arrives on.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Admission } from './admission';
import type { DeploymentManager } from './deployment-manager';
import type { FeedbackLedger } from './feedback-ledger';
import type { InferenceLogSink } from './inference-log/inference-logger';
import type { FeatureRow } from './loaded-model';
import type { LiveStats } from './live-stats';
import type { ServedTask } from './model-task';
import type { ServingMetrics } from './serving-metrics';
import type { ShadowMirror } from './shadow-mirror';

export interface InferenceDeps {
  deployments: DeploymentManager;
  admission: Admission;
  ledger: FeedbackLedger;
  stats: LiveStats;
  metrics: ServingMetrics;
  now: () => number;
  /** The inference log (sampled requests and responses); absent: nothing is logged. */
  log?: InferenceLogSink;
  /** Scores routed requests in the deployment's shadow version, off the response path; absent: no shadow mode. */
  shadow?: ShadowMirror;
}

export interface InferenceRequest {
  model: string;
  rows: FeatureRow[];
  /** Pins a caller to one version while the weights stay. */
  routingKey?: string;
  /**
   * The caller's own request id (protocols that carry one). It is echoed, not trusted: the
   * feedback key is always one this server issued.
   */
  clientId?: string;
  /**
   * Serve this deployed version instead of routing (an OIP versioned path). Such a request
   * bypasses the split, so it is kept out of the split's evidence: no live stats, no feedback
   * key (Prometheus still counts it under the version). A version not in the deployment is
   * refused with `version-not-deployed`.
   */
  version?: number;
  /** How the request arrived (`v1`, `kserve-v1`, `oip-rest`, `oip-grpc`), as the inference log records it. @default 'v1' */
  protocol?: string;
}

/** What was served: the version chosen and its prediction per row. */
export interface InferenceResult {
  ok: true;
  /** The version's task: how to read `scores`. */
  task: ServedTask;
  /** The feedback key: 122 random bits, issued here, so nobody can guess another caller's. */
  requestId: string;
  model: string;
  version: number;
  /** P(label = 1) per row (binary), K class probabilities per row, row-major (multiclass), or the value per row (regression). */
  scores: Float32Array;
  /** Server-side latency in milliseconds, admission wait included. */
  latencyMs: number;
  /** True when the caller named the version: `requestId` is then not remembered for feedback. */
  pinned?: boolean;
}

/** Why nothing was served, in terms each protocol maps onto its own error shape. */
export interface InferenceRefusal {
  ok: false;
  status: 404 | 500 | 503;
  reason: 'not-deployed' | 'version-not-deployed' | 'unavailable' | 'overloaded' | 'failed';
  message: string;
}

export class InferenceService {
  constructor(private readonly deps: InferenceDeps) {}

  async infer(req: InferenceRequest, log?: FastifyBaseLogger): Promise<InferenceResult | InferenceRefusal> {
    const { deps } = this;
    const started = performance.now();
    if (!deps.admission.tryEnter() && !(await deps.admission.wait())) {
      deps.metrics.reject('overloaded');
      return { ok: false, status: 503, reason: 'overloaded', message: 'The model server is at its concurrency limit; retry shortly' };
    }
    try {
      // Routing and the lease happen together, synchronously, after admission: a switch
      // between them cannot release the chosen session.
      const pinned = req.version !== undefined;
      const model = pinned ? deps.deployments.acquireVersion(req.model, req.version!) : deps.deployments.acquire(req.model, req.routingKey);
      if (model === 'version-not-deployed') {
        return { ok: false, status: 404, reason: 'version-not-deployed', message: `Version ${req.version} of "${req.model}" is not deployed on this server; name a deployed version or none` };
      }
      if (model === 'not-deployed') {
        return { ok: false, status: 404, reason: 'not-deployed', message: `Model "${req.model}" is not deployed on this server; PUT /admin/v1/models/${req.model}/deployment first` };
      }
      if (model === 'unavailable') {
        deps.metrics.reject('unavailable');
        return { ok: false, status: 503, reason: 'unavailable', message: `No version of "${req.model}" could be loaded; see GET /readyz` };
      }
      const series = deps.metrics.forVersion(req.model, model.version);
      try {
        const scores = await model.predict(req.rows);
        const latencyMs = performance.now() - started;
        const at = deps.now();
        const requestId = randomUUID();
        // Sampled and buffered only: the log's writes happen off the request path.
        const logged = deps.log?.served({ model: req.model, version: model.version, requestId, at, protocol: req.protocol ?? 'v1', rows: req.rows, scores }) ?? false;
        if (!pinned) {
          deps.ledger.remember(requestId, req.model, model.version, scores, at, model.task, logged);
          deps.stats.recordRequest(req.model, model.version, at, latencyMs, scores, false, model.task);
          this.mirror(req, model.version, at, requestId);
        }
        series.ok.inc();
        series.latency.observe(latencyMs / 1000);
        // The score histogram's buckets span [0, 1]: it holds P(label = 1) of binary models only.
        if (model.task.task === 'binary') for (let i = 0; i < scores.length; i++) series.scores.observe(scores[i]);
        return { ok: true, task: model.task, requestId, model: req.model, version: model.version, scores, latencyMs, ...(pinned ? { pinned } : {}) };
      } catch (err) {
        const latencyMs = performance.now() - started;
        if (!pinned) {
          const at = deps.now();
          deps.stats.recordRequest(req.model, model.version, at, latencyMs, [], true, model.task);
          this.mirror(req, model.version, at);
        }
        series.error.inc();
        series.latency.observe(latencyMs / 1000);
        log?.error({ err, model: req.model, version: model.version }, 'prediction failed');
        return { ok: false, status: 500, reason: 'failed', message: `version ${model.version} of "${req.model}" failed to predict: ${(err as Error).message}` };
      } finally {
        model.releaseLease();
      }
    } finally {
      deps.admission.leave();
    }
  }

  /** Hands a routed request to the shadow version, if the deployment has one (queued: never awaited). */
  private mirror(req: InferenceRequest, served: number, at: number, requestId?: string): void {
    if (!this.deps.shadow) return;
    const shadow = this.deps.deployments.acquireShadow(req.model, served);
    if (shadow) this.deps.shadow.mirror(shadow, { model: req.model, rows: req.rows, at, ...(requestId !== undefined && { requestId }) });
  }
}
