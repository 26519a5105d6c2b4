/**
 * The pipeline spec (a DAG of typed steps) and the workflow input (one JSON object,
 * because the Temporal UI sends exactly one payload).
 */
import { z } from 'zod';
import { INPUT_LIMITS } from './input-limits';
import { durationSchema as duration } from '../duration/duration-schema';
import { STEP_KIND_NAMES, STEP_KINDS } from './step-kinds';

export const stepIdSchema = z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lowercase id such as "train-lr"');

export const retrySchema = z
  .object({
    maximumAttempts: z.number().int().min(1).max(100).default(3),
    initialInterval: duration.default('1s'),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    maximumInterval: duration.default('1 minute'),
  })
  .strict();

const NEVER_CACHED = STEP_KIND_NAMES.filter((k) => STEP_KINDS[k].cache === 'never');

export const stepSchema = z
  .object({
    id: stepIdSchema,
    kind: z.enum(STEP_KIND_NAMES as [string, ...string[]], {
      error: (issue) => `unknown step kind ${JSON.stringify(issue.input)}; known kinds: ${STEP_KIND_NAMES.join(', ')}`,
    }),
    dependsOn: z
      .array(stepIdSchema)
      .max(INPUT_LIMITS.maxDependsOn, `at most ${INPUT_LIMITS.maxDependsOn} dependencies per step (limit maxDependsOn)`)
      .default([]),
    with: z.record(z.string(), z.unknown()).default({}),
    retry: retrySchema.optional(),
    timeout: duration.optional(),
    cache: z
      .boolean()
      .optional()
      .describe(`false: always run, never reuse or store a cached output. Default: cached, except ${NEVER_CACHED.join(' and ')} steps, which never are.`),
  })
  .strict();

export const pipelineSpecSchema = z
  .object({
    name: stepIdSchema,
    model: stepIdSchema,
    description: z.string().max(2000).optional(),
    /** Steps that may run at once when the DAG allows. */
    maxParallel: z.number().int().min(1).max(16).default(4),
    steps: z.array(stepSchema).min(1).max(INPUT_LIMITS.maxSteps, `at most ${INPUT_LIMITS.maxSteps} steps (limit maxSteps); split the pipeline`),
  })
  .strict();

/** Per-step parameter overrides, keyed by step id, deep-merged into that step's `with`. */
export const overridesSchema = z.record(stepIdSchema, z.record(z.string(), z.unknown()));

/** Steps forced to run despite a cached output, by id, or `"*"` for all. */
export const rerunSchema = z.array(z.string().regex(/^(\*|[a-z][a-z0-9-]*)$/, 'expected a step id such as "train", or "*" for every step'));

export const pipelineInputSchema = z
  .object({
    /** Name of a pipeline file under `pipelines/` (e.g. `flight-delay`). */
    pipeline: stepIdSchema.optional(),
    /** An inline spec, instead of a named pipeline. */
    spec: z.unknown().optional(),
    overrides: overridesSchema.optional(),
    /** Register under this model name instead of the spec's. */
    model: stepIdSchema.optional(),
    /** Step ids to run even when a cached output exists (their new outputs replace it); `"*"` for every step. */
    rerun: rerunSchema.optional(),
    /**
     * Who starts the run, signed by the API or CLI (SLIPWAY_RUN_SIGNING_KEY) and verified by the worker;
     * set by clients, never by hand. Without one the run gets the policy of docs/trust-boundary.md.
     */
    ticket: z.string().max(20_000).optional(),
  })
  .strict()
  .refine((i) => (i.pipeline === undefined) !== (i.spec === undefined), {
    message: 'give exactly one of "pipeline" (a named pipeline) or "spec" (an inline spec)',
  });

export type RetrySpec = z.infer<typeof retrySchema>;
export type StepSpec = z.infer<typeof stepSchema>;
export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;
export type PipelineInput = z.infer<typeof pipelineInputSchema>;
