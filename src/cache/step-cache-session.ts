/**
 * The cache's part in one execution of one step activity: compute the content key, find a
 * reusable output (its artifacts must still verify), and record the output of a step that ran.
 * The activity wrapper (src/activities/step-activity.ts) drives it.
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { canonicalJson } from '../artifacts/canonical-json';
import { isArtifactIntegrityError } from '../errors';
import { STEP_KINDS, type StepKind, type StepKindName } from '../pipeline/step-kinds';
import type { RecordedStepOutput, StepCacheInfo, StepRequest } from '../pipeline/types';
import { cacheKey, inputDigests } from './cache-key';
import { trackArtifactReads, type TrackedInputs } from './read-tracking';
import type { CacheEntry, StepCache } from './step-cache';
import { Uncacheable, type CacheInputs } from './uncacheable';

export interface CacheSessionOptions<P> {
  cache: StepCache;
  /** Verifies a cached output's artifacts before it is reused. */
  store: Pick<ArtifactStore, 'localPath'>;
  log: Logger;
  kind: string;
  req: StepRequest;
  /** The step's parsed parameters. */
  params: P;
  cacheInputs?: CacheInputs<P>;
}

/** What {@link StepCacheSession.lookup} found: the recorded output, ready to return. */
export interface CacheHit {
  /** As recorded: entries from before outputs carried their kind have none (the step wrapper adds it). */
  output: RecordedStepOutput;
  info: StepCacheInfo;
}

export class StepCacheSession<P> {
  private tracked?: TrackedInputs;

  private constructor(
    private readonly o: CacheSessionOptions<P>,
    /** `undefined` when the step cannot be keyed this time; `reason` says why. */
    readonly key: string | undefined,
    private readonly external: string | undefined,
    private readonly reason?: string,
  ) {}

  /** Keys the step, or returns a session that only reports why it could not be keyed. */
  static async open<P>(o: CacheSessionOptions<P>): Promise<StepCacheSession<P>> {
    const kind = STEP_KINDS[o.kind as StepKindName];
    if (!kind) return new StepCacheSession(o, undefined, undefined, `unknown step kind ${o.kind}`);
    const external = o.cacheInputs ? await o.cacheInputs(o.req, o.params) : undefined;
    if (external instanceof Uncacheable) return new StepCacheSession(o, undefined, undefined, external.reason);
    const key = cacheKey({
      kind: o.kind,
      version: kind.version,
      params: o.params,
      inputs: inputDigests(o.req.inputs, kind.reads),
      external,
    });
    return new StepCacheSession(o, key, external === undefined ? undefined : canonicalJson(external));
  }

  /** The cached output for this key, if there is one and every artifact it names still verifies. */
  async lookup(): Promise<CacheHit | undefined> {
    if (!this.key || this.o.req.cache?.mode !== 'use') return undefined;
    let entry: CacheEntry | undefined;
    try {
      entry = await this.o.cache.get(this.key);
    } catch (err) {
      this.o.log.warn({ err, key: this.key }, 'cache entry unreadable; running the step');
      return undefined;
    }
    if (!entry) return undefined;
    for (const ref of Object.values(entry.output.artifacts)) {
      try {
        await this.o.store.localPath(ref);
      } catch (err) {
        if (!isArtifactIntegrityError(err)) throw err;
        this.o.log.info({ key: this.key, uri: ref.uri, reason: err.message }, 'cached output is gone or damaged; running the step');
        return undefined;
      }
    }
    return { output: entry.output, info: { outcome: 'hit', key: this.key, producedBy: entry.producedBy } };
  }

  /** The request to run the step with: same data, with artifact reads watched when the output may be cached. */
  watch(req: StepRequest): StepRequest {
    if (!this.key) return req;
    this.tracked = trackArtifactReads(req.inputs);
    return { ...req, inputs: this.tracked.inputs };
  }

  /** Caches the output of a step that ran, unless something it depended on is not in the key. */
  async record(output: RecordedStepOutput): Promise<StepCacheInfo> {
    if (!this.key) return { outcome: 'uncacheable', reason: this.reason };
    const kind: StepKind = STEP_KINDS[this.o.kind as StepKindName];
    // Artifacts a command step's params name are keyed by its cache-inputs hook (their digests).
    const named = kind.readsNamedInputs ? namedInputArtifacts(this.o.params) : [];
    const reads = [...kind.reads, ...named];
    const undeclared = [...(this.tracked?.read() ?? [])].filter((name) => !reads.includes(name));
    if (undeclared.length > 0) {
      const reason = `read upstream artifact(s) ${undeclared.join(', ')} not declared in STEP_KINDS.${this.o.kind}.reads`;
      this.o.log.warn({ key: this.key, undeclared }, `${reason}; not caching`);
      return { outcome: 'uncacheable', key: this.key, reason };
    }
    if (this.external !== undefined && !(await this.externalUnchanged())) {
      return { outcome: 'uncacheable', key: this.key, reason: 'an input outside the pipeline changed while the step ran' };
    }
    const { workflowId, runId, stepId } = this.o.req.ctx;
    const entry: CacheEntry = {
      key: this.key,
      kind: this.o.kind,
      output,
      producedBy: { workflowId, runId, stepId, at: new Date().toISOString() },
    };
    try {
      await this.o.cache.put(entry);
    } catch (err) {
      // The step's output is good; only its reuse is lost.
      this.o.log.warn({ err, key: this.key }, 'could not store the cache entry');
      return { outcome: 'uncacheable', key: this.key, reason: `cache write failed: ${(err as Error).message}` };
    }
    return { outcome: this.o.req.cache?.mode === 'rerun' ? 'rerun' : 'miss', key: this.key };
  }

  /** A source file rewritten, or a champion promoted, during the run makes the output not match the key. */
  private async externalUnchanged(): Promise<boolean> {
    const now = await this.o.cacheInputs?.(this.o.req, this.o.params);
    return !(now instanceof Uncacheable) && canonicalJson(now) === this.external;
  }
}

/** Artifact names in a step's `inputs` param (`train`, `ingest.holdout` → `holdout`). */
function namedInputArtifacts(params: unknown): string[] {
  const inputs = (params as { inputs?: Record<string, unknown> } | undefined)?.inputs ?? {};
  return Object.values(inputs).flatMap((ref) => (typeof ref === 'string' ? [ref.slice(ref.indexOf('.') + 1)] : []));
}
