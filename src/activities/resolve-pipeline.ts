/** The `resolvePipeline` activity: the validated spec of a workflow input, with this worker's topology. */
import type { Logger } from 'pino';
import { resolvePipelineInput, type ResolveDeps } from '../pipeline/resolve-pipeline-input';
import type { ResolvedPipeline } from '../pipeline/types';
import type { TaskQueues } from '../topology/task-queues';
import { atActivityBoundary } from './activity-boundary';

/**
 * `taskQueues`: this worker's topology, handed to the run with its spec (it is an orchestration
 * worker: resolvePipeline runs on the workflow's own queue); undefined: everything on that queue.
 */
export function createResolvePipeline(deps: ResolveDeps & { taskQueues?: TaskQueues; logger: Logger }) {
  return atActivityBoundary('resolvePipeline', deps.logger, async (rawInput: unknown): Promise<ResolvedPipeline> => {
    const resolved = await resolvePipelineInput(deps, rawInput);
    return deps.taskQueues ? { ...resolved, taskQueues: deps.taskQueues } : resolved;
  });
}

