/**
 * The workflow input's JSON Schema, for the docs and for anyone filling the Temporal UI's
 * Start Workflow form. Steps are described per kind, with each kind's parameters.
 */
import { z } from 'zod';
import { overridesSchema, pipelineSpecSchema, rerunSchema, stepSchema, stepIdSchema } from './spec-schema';
import { STEP_KIND_NAMES, STEP_KINDS } from './step-kinds';
import { STEP_PARAMS } from './step-params-by-kind';

export function pipelineInputJsonSchema(): Record<string, unknown> {
  const steps = STEP_KIND_NAMES.map((kind) =>
    stepSchema.extend({ kind: z.literal(kind), with: STEP_PARAMS[kind].optional() }).describe(STEP_KINDS[kind].description),
  );
  const spec = pipelineSpecSchema.extend({
    steps: z.array(z.union(steps as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])).min(1),
  });
  const input = z
    .object({
      pipeline: stepIdSchema.optional().describe('Name of a pipeline under pipelines/, e.g. "flight-delay".'),
      spec: spec.optional().describe('An inline pipeline spec, instead of a named one.'),
      overrides: overridesSchema.optional().describe('Per-step parameters, keyed by step id, deep-merged into `with`.'),
      model: stepIdSchema.optional().describe("Register under this model name instead of the spec's."),
      rerun: rerunSchema
        .optional()
        .describe('Step ids to run even when a cached output exists (their new outputs replace it); "*" for every step.'),
    })
    .strict()
    .describe('Input of the Slipway `pipeline` workflow: give exactly one of `pipeline` or `spec`.');
  return {
    $id: 'https://slipway.dev/schemas/pipeline-input.json',
    title: 'Slipway pipeline input',
    ...z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }),
  };
}
