/**
 * The one registry of step kinds: which activity runs a kind, the timeouts it gets unless the
 * spec says otherwise, and how it is cached. Pure data without zod, so the workflow bundle may
 * import it: every module a workflow imports is evaluated again for each run, and zod with the
 * parameter schemas cost more CPU per run than the workflow's own code (bench:load profile).
 * Each kind's parameter schema is in step-params-by-kind.ts.
 */
import type { WorkKind } from '../topology/task-queues';

export interface StepKind {
  /** Name of the activity that executes this kind; or, for a kind that runs as a child workflow, that workflow's type. */
  activity: string;
  /** `workflow`: the kind runs as a child workflow (long, interactive steps such as a canary). @default 'activity' */
  runsAs?: 'activity' | 'workflow';
  /**
   * The kind of work, hence the task queue its activity is scheduled on (docs/topology.md). A kind
   * that runs as a child workflow names the queue of the activities that workflow schedules.
   */
  queue: WorkKind;
  /** Default start-to-close timeout (ms-format string). */
  timeout: string;
  /** Heartbeat timeout for long-running kinds; absent for short ones. */
  heartbeatTimeout?: string;
  description: string;
  /**
   * Version of the kind's step code, part of every cache key. Bump it whenever the code would
   * produce different outputs from the same parameters and inputs, so older cached outputs stop matching.
   */
  version: number;
  /**
   * Content caching (src/cache): `on` cached unless the step says `cache: false`; `off` cached only
   * with `cache: true`; `never` for side effects that must happen in every run (registry writes).
   */
  cache: 'on' | 'off' | 'never';
  /**
   * Upstream artifact names whose bytes the kind reads; their sha256 digests enter the cache key.
   * A cached step that reads any other upstream artifact is run but not cached (and logged), so a
   * missing name costs a cache miss, never a stale output.
   */
  reads: readonly string[];
  /**
   * The kind also reads the upstream artifacts its params' `inputs` name (a `command` step); its
   * cache-inputs hook puts their digests in the key, so those reads do not make it uncacheable.
   * @default false
   */
  readsNamedInputs?: boolean;
}

export const STEP_KINDS = {
  ingest: {
    activity: 'ingest',
    queue: 'data',
    timeout: '15 minutes',
    heartbeatTimeout: '1 minute',
    description: 'Read a source with DuckDB, derive features, split train/holdout into Parquet snapshots',
    version: 1,
    // The key also holds the sha256 of every source file (src/cache/source-fingerprint.ts).
    cache: 'on',
    reads: [],
  },
  validate: {
    activity: 'validate',
    queue: 'data',
    timeout: '10 minutes',
    heartbeatTimeout: '1 minute',
    description: 'Check schema, types, nulls, ranges, domains, duplicates, labels, label shift, outliers and drift against the champion\'s data',
    version: 2,
    // The key also holds the current champion: validation compares with its reference data.
    cache: 'on',
    reads: ['train', 'holdout'],
  },
  train: {
    activity: 'train',
    queue: 'training',
    timeout: '2 hours',
    heartbeatTimeout: '1 minute',
    description: 'Train a candidate model off the main thread and export it to ONNX',
    version: 1,
    cache: 'on',
    reads: ['train', 'holdout'],
  },
  import: {
    activity: 'importModel',
    queue: 'training',
    timeout: '10 minutes',
    description: 'Bring in a model trained elsewhere (a registered models:/ version or an ONNX file under the data roots) as a candidate, checked against its contract and the snapshot',
    version: 1,
    // Cheap (one file checked and stored), and a file source can change under the same path:
    // downstream steps are still cached by the model's digest.
    cache: 'never',
    reads: [],
  },
  command: {
    activity: 'commandStep',
    queue: 'training',
    timeout: '1 hour',
    heartbeatTimeout: '1 minute',
    description: 'Run a program an admin registered (trainers/registry.yaml, kind: step) on declared upstream artifacts and store the artifacts it writes: preprocessing, feature engineering, custom checks',
    version: 1,
    // The key also holds the program's command, environment and code digests, and the named inputs' digests.
    cache: 'on',
    reads: [],
    readsNamedInputs: true,
  },
  evaluate: {
    activity: 'evaluate',
    queue: 'training',
    timeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    description: 'Score candidate and champion on the same holdout with onnxruntime and apply the gates',
    version: 1,
    // The key also holds the current champion, which the verdict compares with.
    cache: 'on',
    reads: ['model', 'holdout'],
  },
  register: {
    activity: 'register',
    queue: 'orchestration',
    timeout: '2 minutes',
    description: 'Record an immutable model version with its lineage in the registry',
    version: 1,
    cache: 'never',
    reads: [],
  },
  canary: {
    activity: 'canary',
    queue: 'deployment',
    runsAs: 'workflow',
    timeout: '7 days',
    description: 'Shift live traffic to the registered version in steps on the model server, analyse it against the champion at each step, roll back on failure',
    version: 1,
    cache: 'never',
    reads: [],
  },
  promote: {
    activity: 'promote',
    queue: 'deployment',
    timeout: '2 minutes',
    description: 'Move the champion alias to the new version when the evaluation blessed it (and its canary passed), and point the model server at it',
    version: 1,
    cache: 'never',
    reads: [],
  },
  noop: {
    activity: 'noop',
    queue: 'orchestration',
    timeout: '1 minute',
    description: 'Test and benchmark kind: does no work and hands its upstream artifact references on unchanged (bench/load.ts measures the engine with it)',
    version: 1,
    cache: 'never',
    reads: [],
  },
} as const satisfies Record<string, StepKind>;

export type StepKindName = keyof typeof STEP_KINDS;
export const STEP_KIND_NAMES = Object.keys(STEP_KINDS) as StepKindName[];
