/**
 * What a pipeline's canary step hands to the canary workflow, read from the outputs of the
 * steps before it: the registered version and the champion the evaluation compared with.
 * Pure, for the workflow bundle.
 */
import type { CanaryParams } from '../pipeline/step-params';
import type { StepOutput, StepRequest } from '../pipeline/types';
import type { CanaryInput } from './canary-state';

const summaryWith = (inputs: Record<string, StepOutput>, key: string) =>
  Object.values(inputs)
    .map((o) => o?.summary)
    .filter((s): s is Record<string, unknown> => s !== undefined && key in s)
    .at(-1);

export function planCanary(request: StepRequest): { input: CanaryInput } | { skip: string } {
  const registered = summaryWith(request.inputs, 'version');
  // 'gates' is unique to an evaluate step's summary.
  const evaluation = summaryWith(request.inputs, 'gates');
  if (!registered || !evaluation) return { skip: 'a canary step needs register and evaluate steps upstream (dependsOn)' };
  if (evaluation.blessed !== true) return { skip: 'the evaluation did not bless the candidate: nothing to canary' };
  const champion = (evaluation.champion as { version?: number } | null)?.version ?? null;
  return {
    input: {
      model: request.ctx.model,
      candidate: Number(registered.version),
      champion,
      params: request.params as CanaryParams,
      origin: { workflowId: request.ctx.workflowId, runId: request.ctx.runId, stepId: request.ctx.stepId },
    },
  };
}
