/** The `resolvePipeline` activity: the validated spec of a workflow input for the principal the run acts for, with this worker's topology. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AccessControl } from '../auth/access-control';
import { runPrincipal, UnverifiableIdentityError, type TrustSettings } from '../auth/run-authority';
import { InvalidPipelineInputError, PermissionDeniedError } from '../errors';
import { resolvePipelineInput, type ResolveDeps } from '../pipeline/resolve-pipeline-input';
import type { ResolvedPipeline } from '../pipeline/types';
import type { TaskQueues } from '../topology/task-queues';

export interface ResolveActivityDeps extends ResolveDeps {
  taskQueues?: TaskQueues;
  trust?: TrustSettings;
  access?: AccessControl;
}

/**
 * `taskQueues`: this worker's topology, handed to the run with its spec (it is an orchestration
 * worker: resolvePipeline runs on the workflow's own queue); undefined: everything on that queue.
 */
export function createResolvePipeline(deps: ResolveActivityDeps) {
  const trust: TrustSettings = deps.trust ?? { inlineCommandPrincipals: [] };
  return async function resolvePipeline(rawInput: unknown): Promise<ResolvedPipeline> {
    try {
      const input = (typeof rawInput === 'object' && rawInput !== null ? rawInput : {}) as Record<string, unknown>;
      const who = await runPrincipal(trust, deps.access, input, Context.current().info.workflowExecution?.workflowId ?? "");
      const resolved = await resolvePipelineInput({ ...deps, inlineCommandPrincipals: trust.inlineCommandPrincipals }, rawInput, who ? { principal: who.principal, via: who.via === 'dev' ? 'dev' : 'ticket' } : { via: 'none' });
      return deps.taskQueues ? { ...resolved, taskQueues: deps.taskQueues } : resolved;
    } catch (err) {
      if (err instanceof InvalidPipelineInputError) {
        throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true, details: [{ problems: err.problems }] });
      }
      if (err instanceof PermissionDeniedError || err instanceof UnverifiableIdentityError) {
        throw ApplicationFailure.create({ type: err instanceof PermissionDeniedError ? 'SpecPolicyViolation' : err.name, message: err.message, nonRetryable: true });
      }
      throw err;
    }
  };
}

