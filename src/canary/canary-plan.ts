/**
 * What a pipeline's canary step hands to the canary workflow, read from the outputs of the
 * steps before it: the registered version and the champion the evaluation compared with.
 * Pure, for the workflow bundle.
 */
import type { CanaryParams } from '../pipeline/step-params';
import { upstreamOf } from '../pipeline/step-outputs';
import type { StepRequest } from '../pipeline/types';
import type { CanaryInput } from './canary-state';

export function planCanary(request: StepRequest): { input: CanaryInput } | { skip: string } {
  const registered = upstreamOf(request.inputs, 'register')?.summary;
  const evaluation = upstreamOf(request.inputs, 'evaluate')?.summary;
  if (!registered || !evaluation) return { skip: 'a canary step needs register and evaluate steps upstream (dependsOn)' };
  if (evaluation.blessed !== true) return { skip: 'the evaluation did not bless the candidate: nothing to canary' };
  return {
    input: {
      model: request.ctx.model,
      candidate: registered.version,
      champion: evaluation.champion?.version ?? null,
      params: request.params as CanaryParams,
      origin: { workflowId: request.ctx.workflowId, runId: request.ctx.runId, stepId: request.ctx.stepId },
    },
  };
}
