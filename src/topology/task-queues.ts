/**
 * Task-queue topology: which kind of work runs on which Temporal task queue. Pure data, so
 * workflow code may import it; the queue names themselves come from config (src/config.ts)
 * and reach workflows through the `taskQueues` local activity (src/workflows/task-queues.ts).
 * The reasoning behind the split is in docs/topology.md.
 */

/** The kinds of work a worker can serve; each has its own task queue. */
export const WORK_KINDS = ['orchestration', 'data', 'training', 'deployment'] as const;
export type WorkKind = (typeof WORK_KINDS)[number];

/** Queue name per kind of work. `orchestration` is `SLIPWAY_TASK_QUEUE`, where workflows run. */
export type TaskQueues = Readonly<Record<WorkKind, string>>;

/** Default names: `slipway`, `slipway-data`, `slipway-training`, `slipway-deployment`. */
export function deriveTaskQueues(base: string, overrides: Partial<Record<WorkKind, string | undefined>> = {}): TaskQueues {
  return Object.freeze({
    orchestration: base,
    data: overrides.data ?? `${base}-data`,
    training: overrides.training ?? `${base}-training`,
    deployment: overrides.deployment ?? `${base}-deployment`,
  });
}

/**
 * Activities that are not pipeline steps, by kind of work (step kinds carry their own
 * `queue` in src/pipeline/step-kinds.ts). An activity named nowhere runs on orchestration.
 */
export const ACTIVITY_WORK = {
  resolvePipeline: 'orchestration',
  assessRetraining: 'orchestration',
  taskQueues: 'orchestration',
  // A local activity of the canary workflow: it runs on the worker that runs the workflow.
  parseCanaryInput: 'orchestration',
  canarySetTraffic: 'deployment',
  canaryMeasure: 'deployment',
  canaryWriteReport: 'deployment',
  deployChampion: 'deployment',
  rollbackChampion: 'deployment',
} as const satisfies Record<string, WorkKind>;

/**
 * Parses `SLIPWAY_WORKER_QUEUES`: `all` (every kind, the default embedded mode) or a
 * comma-separated list such as `training` or `orchestration,data`. Returns the problem as a
 * string for the config error when the value names an unknown kind.
 */
export function parseWorkerQueues(value: string): WorkKind[] | string {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0 || (items.length === 1 && items[0] === 'all')) return [...WORK_KINDS];
  const unknown = items.filter((i) => !(WORK_KINDS as readonly string[]).includes(i));
  if (unknown.length) return `unknown kind of work ${unknown.map((u) => JSON.stringify(u)).join(', ')}; use "all" or a comma-separated list of ${WORK_KINDS.join(', ')}`;
  return WORK_KINDS.filter((k) => items.includes(k));
}
