/**
 * Input of the `canary` workflow and its schema. The workflow validates it through the
 * `parseCanaryInput` local activity, which keeps zod out of the workflow bundle.
 */
import { z } from 'zod';
import { InvalidPipelineInputError } from '../errors';
import { canaryParamsSchema } from '../pipeline/step-params';

/** The pipeline's canary step fills it from register and evaluate (canary-plan.ts). */
export const canaryInputSchema = z
  .object({
    model: z.string().min(1).max(200),
    /** The version under test. */
    candidate: z.number().int().positive(),
    /** The version it is compared with (the champion); null: nothing to compare with, the canary is skipped. */
    champion: z.number().int().positive().nullable(),
    params: canaryParamsSchema.prefault({}),
    /** The pipeline run and step that started this canary, when one did. */
    origin: z.object({ workflowId: z.string(), runId: z.string(), stepId: z.string() }).strict().optional(),
  })
  .strict()
  .refine((i) => i.champion !== i.candidate, { message: 'candidate and champion must differ', path: ['candidate'] });

export type CanaryInput = z.input<typeof canaryInputSchema>;
export type ParsedCanaryInput = z.output<typeof canaryInputSchema>;

/** The input with its defaults, or InvalidPipelineInputError naming every bad field. */
export function parseCanaryInput(raw: unknown): ParsedCanaryInput {
  const parsed = canaryInputSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InvalidPipelineInputError(parsed.error.issues.map((i) => `canary input.${i.path.join('.')}: ${i.message}`));
}
