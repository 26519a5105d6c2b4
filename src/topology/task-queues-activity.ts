/**
 * The `taskQueues` activity: workflows run it as a local activity (on the orchestration worker
 * running them) to learn where each kind of work is scheduled; the answer is recorded in history.
 */
import type { TaskQueues } from './task-queues';

/** `undefined` topology (a worker built without one, e.g. a test's): every activity stays on the workflow's queue. */
export function createTaskQueuesActivity(queues: TaskQueues | undefined) {
  return async function taskQueues(): Promise<TaskQueues | null> {
    return queues ?? null;
  };
}
