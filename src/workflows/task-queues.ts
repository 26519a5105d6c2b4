/**
 * How a workflow learns its task-queue topology: once per run, from the `taskQueues` local
 * activity on the orchestration worker running it (workflow code cannot read config). The
 * answer is recorded in history, so replays schedule every activity where the run did.
 */
import { patched, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { TaskQueues, WorkKind } from '../topology/task-queues';
import { TASK_QUEUES_OPTIONS } from './presets';

const { taskQueues } = proxyLocalActivities<ReturnType<typeof createActivities>>(TASK_QUEUES_OPTIONS);

/** Marks runs that ask for the topology; runs recorded before it keep every activity on their own queue. */
export const TASK_QUEUES_PATCH = 'slipway-task-queues';

/** This run's queue per kind of work; `undefined`: everything on the workflow's own queue. */
export async function loadTaskQueues(): Promise<TaskQueues | undefined> {
  if (!patched(TASK_QUEUES_PATCH)) return undefined;
  return (await taskQueues()) ?? undefined;
}

/**
 * `options` with the task queue of `kind`. Orchestration work stays on the workflow's own
 * queue (the one the orchestration worker polls), so it needs no explicit name.
 */
export function onQueue<T extends ActivityOptions>(options: T, queues: TaskQueues | undefined, kind: WorkKind): T {
  return queues && kind !== 'orchestration' ? { ...options, taskQueue: queues[kind] } : options;
}
