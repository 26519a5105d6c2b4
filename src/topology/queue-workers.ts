/**
 * Builds the Workers of one process: one per task queue it serves. Workflows run only on the
 * orchestration queue; each other queue gets only the activities of its kind of work.
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { STEP_KINDS } from '../pipeline/step-kinds';
import { ACTIVITY_WORK, type TaskQueues, type WorkKind } from './task-queues';
import { WorkerGroup, type QueueWorker } from './worker-group';

/** The kind of work of an activity, by name: step kinds name theirs, the rest are in ACTIVITY_WORK. */
export function workOfActivity(name: string): WorkKind {
  if (name in ACTIVITY_WORK) return ACTIVITY_WORK[name as keyof typeof ACTIVITY_WORK];
  return Object.values(STEP_KINDS).find((k) => k.activity === name && !('runsAs' in k))?.queue ?? 'orchestration';
}

export interface QueueWorkersOptions {
  queues: TaskQueues;
  /** Kinds of work this process serves. */
  serve: readonly WorkKind[];
  activities: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Options every Worker shares (connection, namespace, concurrency); workflow options go to the orchestration Worker only. */
  workerOptions: Omit<WorkerOptions, 'taskQueue' | 'activities'>;
}

export async function createQueueWorkers(o: QueueWorkersOptions): Promise<WorkerGroup> {
  // Kinds that share a queue name (e.g. every SLIPWAY_*_TASK_QUEUE set to one queue) share one Worker.
  const byQueue = new Map<string, WorkKind[]>();
  for (const kind of o.serve) byQueue.set(o.queues[kind], [...(byQueue.get(o.queues[kind]) ?? []), kind]);
  const { workflowsPath, workflowBundle, ...activityOnly } = o.workerOptions;
  const members: QueueWorker[] = [];
  for (const [taskQueue, kinds] of byQueue) {
    const orchestrates = kinds.includes('orchestration');
    // The orchestration Worker registers every activity: a run started before queues were split
    // (or by a worker without a topology) schedules everything on the workflow's own queue.
    const activities = orchestrates
      ? o.activities
      : Object.fromEntries(Object.entries(o.activities).filter(([name]) => kinds.includes(workOfActivity(name))));
    const worker = await Worker.create({
      ...(orchestrates ? o.workerOptions : activityOnly),
      taskQueue,
      activities,
    });
    members.push({ taskQueue, kinds, worker });
  }
  return new WorkerGroup(members);
}
