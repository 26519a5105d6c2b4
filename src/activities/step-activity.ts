/**
 * The wrapper every step activity goes through: idempotency by step key, the content cache,
 * the attempt number in the result, structured logs, and the translation of errors into
 * Temporal failures at the activity boundary (activity-boundary.ts).
 */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { StepCache } from '../cache/step-cache';
import { StepCacheSession } from '../cache/step-cache-session';
import type { CacheInputs } from '../cache/uncacheable';
import type { PipelineMetrics, StepOutcome } from '../observability/pipeline-metrics';
import type { StepKindName } from '../pipeline/step-kinds';
import { withKind } from '../pipeline/step-outputs';
import type { StepOutputBody, StepRequest, StepResult } from '../pipeline/types';
import type { StepRecords } from '../step-records/step-records';
import { toApplicationFailure } from './activity-boundary';
import { heartbeating } from './heartbeat';

export interface StepActivityDeps {
  logger: Logger;
  stepRecords: StepRecords;
  /**
   * Step outputs by content key. Without it no step is cached, whatever the request asks.
   * @default undefined
   */
  stepCache?: StepCache;
  /** Verifies cached outputs' artifacts before reuse; needed with `stepCache`. */
  store?: Pick<ArtifactStore, 'localPath'>;
  /**
   * Step outcomes, durations and cache lookups (src/observability).
   * @default undefined: nothing recorded
   */
  metrics?: Pick<PipelineMetrics, 'stepFinished' | 'cacheLookup'>;
}

export interface StepOptions<P> {
  /** Facts outside params and upstream artifacts that the output depends on; part of the cache key. */
  cacheInputs?: CacheInputs<P>;
  /**
   * Heartbeat while the step runs, and give up as soon as the workflow cancels it (see heartbeat.ts).
   * For kinds with a `heartbeatTimeout` in STEP_KINDS whose work reports no progress of its own.
   * @default false
   */
  heartbeat?: boolean;
}

/** Well inside the one-minute heartbeat timeouts of STEP_KINDS (the SDK throttles sends anyway). */
const HEARTBEAT_EVERY_MS = 10_000;

/** The run-scoped key of a step: stable across retries of the same activity. */
export const stepKey = (req: StepRequest): string => `${req.ctx.workflowId}/${req.ctx.runId}/${req.ctx.stepId}`;

/**
 * The activity of step kind `kind`. `run` returns the kind's summary type; the wrapper adds the
 * `kind` to every answer, also to outputs recorded before outputs carried it (step records, cache).
 */
export function defineStep<K extends StepKindName, P>(
  deps: StepActivityDeps,
  kind: K,
  parse: (params: Record<string, unknown>) => P,
  run: (req: StepRequest, params: P, log: Logger) => Promise<StepOutputBody<K>>,
  options: StepOptions<P> = {},
): (req: StepRequest) => Promise<StepResult<K>> {
  return async (req) => {
    const attempt = Context.current().info.attempt;
    const log = deps.logger.child({ kind, step: req.ctx.stepId, workflowId: req.ctx.workflowId, attempt });
    const key = stepKey(req);
    const started = Date.now();
    const record = (outcome: StepOutcome) =>
      deps.metrics?.stepFinished({ pipeline: req.ctx.pipeline, kind, outcome, seconds: (Date.now() - started) / 1000 });
    // Only a retry can find a record: the key is per run and step, and the workflow schedules each step once.
    const earlier = attempt > 1 ? await deps.stepRecords.get(key) : undefined;
    if (earlier) {
      log.info('step already finished in an earlier attempt; returning its output');
      record('resumed');
      return { ...withKind(earlier, kind), attempt };
    }
    // Hashing sources for the cache key can take as long as the work itself, so the heartbeat covers it too.
    const attemptStep = async (): Promise<StepResult<K>> => {
      const params = parse(req.params);
      const cache =
        req.cache && deps.stepCache && deps.store
          ? await StepCacheSession.open({ cache: deps.stepCache, store: deps.store, log, kind, req, params, cacheInputs: options.cacheInputs })
          : undefined;
      const hit = await cache?.lookup();
      if (cache && req.cache?.mode === 'use') deps.metrics?.cacheLookup({ pipeline: req.ctx.pipeline, kind, hit: hit !== undefined });
      if (hit) {
        record('cached');
        log.info({ ms: Date.now() - started, key: hit.info.key, producedBy: hit.info.producedBy }, 'reused cached output');
        return { ...withKind(hit.output, kind), attempt, cache: hit.info };
      }
      const output = { kind, ...(await run(cache ? cache.watch(req) : req, params, log)) };
      const info = await cache?.record(output);
      const recorded = info ? { ...output, cache: info } : output;
      await deps.stepRecords.put(key, recorded);
      log.info({ ms: Date.now() - started, summary: output.summary, cache: info }, 'step finished');
      record('succeeded');
      return { ...recorded, attempt };
    };
    try {
      return options.heartbeat ? await heartbeating(Context.current(), HEARTBEAT_EVERY_MS, { step: req.ctx.stepId, kind }, attemptStep) : await attemptStep();
    } catch (err) {
      record('failed');
      throw toApplicationFailure(err, attempt, log);
    }
  };
}

