/**
 * JSON Schemas generated from the zod schemas (npm run schema): the workflow input's, for the docs
 * and for anyone filling the Temporal UI's Start Workflow form, and the pipeline file's
 * (pipelines/*.yaml, `slipway run -f`), for editors through `# yaml-language-server: $schema=`.
 * Steps are described per kind, with each kind's parameters.
 */
import { z } from 'zod';
import { overridesSchema, pipelineSpecSchema, rerunSchema, stepSchema, stepIdSchema } from './spec-schema';
import { STEP_KIND_NAMES, STEP_KINDS } from './step-kinds';
import { STEP_PARAMS } from './step-params-by-kind';

/** The spec with each step's `with` typed by its kind (the runtime schema leaves `with` open and checks it per kind). */
function specByKind() {
  const steps = STEP_KIND_NAMES.map((kind) =>
    stepSchema.extend({ kind: z.literal(kind), with: STEP_PARAMS[kind].optional() }).describe(STEP_KINDS[kind].description),
  );
  return pipelineSpecSchema.extend({
    steps: z.array(z.union(steps as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])).min(1),
  });
}

/** The schema of a pipeline file: the spec itself (name, model, steps...). */
export function pipelineFileJsonSchema(): Record<string, unknown> {
  const spec = specByKind().describe(
    'A Slipway pipeline: a DAG of typed steps (ingest, validate, train, evaluate, register, canary, promote...). Run it by name from pipelines/ or with `slipway run -f <file>`.',
  );
  return {
    $id: 'https://slipway.dev/schemas/pipeline.json',
    title: 'Slipway pipeline file',
    ...z.toJSONSchema(spec, { io: 'input', unrepresentable: 'any' }),
  };
}

export function pipelineInputJsonSchema(): Record<string, unknown> {
  const spec = specByKind();
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
