/**
 * The contract an imported model declares, and the `import` step kind's parameters: a model
 * trained elsewhere, either already registered (`model: models:/<name>/<version>`, its contract
 * as recorded at import) or an ONNX file under the data roots with its contract written here.
 * Shared by the step, the CLI (`slipway models import`) and the API route.
 */
import { z } from 'zod';
import { TASKS } from './label-spec';

const column = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a column name (letters, digits, _)');

/** Task, feature columns and (multiclass) class order of a model made elsewhere. */
export const importContractSchema = z
  .object({
    /** What the model predicts; decides the outputs it must have (src/training/ARCHITECTURE.md). */
    task: z.enum(TASKS).default('binary'),
    /** Its inputs: numeric columns as tensor(float) [N,1], categorical ones as tensor(string) [N,1]. */
    features: z
      .object({ numeric: z.array(column).max(1000).default([]), categorical: z.array(column).max(1000).default([]) })
      .strict(),
    /** Multiclass only: class names in the order of the `probabilities` columns. */
    classes: z.array(z.string().min(1).max(256)).min(2).max(1000).optional(),
  })
  .strict();

export const importParamsSchema = z
  .object({
    /** A registered version (`models:/<name>/<version>`; an alias would make the run depend on when it started). */
    model: z.string().regex(/^models:\/[^/@]+\/\d+$/, 'expected models:/<name>/<version>, e.g. models:/churn/3').optional(),
    /** An ONNX file under the data roots (SLIPWAY_DATA_ROOTS), checked like `slipway models import` checks one. */
    file: z.string().min(1).max(4096).optional(),
    /** For a file: what the model predicts. @default binary */
    task: z.enum(TASKS).optional(),
    features: importContractSchema.shape.features.optional(),
    classes: importContractSchema.shape.classes,
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.model === undefined) === (p.file === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'name exactly one source: model (models:/<name>/<version>) or file (an .onnx file under the data roots)' });
    }
    if (p.file !== undefined && p.features === undefined) {
      ctx.addIssue({ code: 'custom', path: ['features'], message: 'a file import declares its features: { numeric: [...], categorical: [...] }' });
    }
    if (p.model !== undefined && (p.features || p.task || p.classes)) {
      ctx.addIssue({ code: 'custom', path: ['features'], message: 'a registered model brings the contract it was imported or trained with; task, features and classes apply to file imports only' });
    }
  });

export type ImportContract = z.infer<typeof importContractSchema>;
export type ImportParams = z.infer<typeof importParamsSchema>;
