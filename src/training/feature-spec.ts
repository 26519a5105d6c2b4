/**
 * Which Parquet columns a model reads and predicts. The same spec drives loading,
 * fitting, the ONNX graph's input names and scoring, so it is the one place a
 * column is named.
 */
import { z } from 'zod';

/** Columns a model is trained on; each feature becomes one ONNX input of the same name. */
export interface FeatureSpec {
  /** Columns read as numbers (cast to float32) and standardised inside the model. */
  numeric: string[];
  /** Columns of any Parquet type, cast to strings and one-hot encoded inside the model. */
  categorical: string[];
  /** 0/1 (or boolean) column to predict; never an input of the model. */
  label: string;
}

// Names travel into SQL (quoted) and into ONNX input names, so only control characters are refused.
const columnName = z
  .string()
  .min(1)
  .max(128)
  .refine((name) => !/[\u0000-\u001f]/.test(name), 'column names may not contain control characters');

export const featureSpecSchema: z.ZodType<FeatureSpec> = z
  .object({
    numeric: z.array(columnName).default([]),
    categorical: z.array(columnName).default([]),
    label: columnName,
  })
  .superRefine((spec, ctx) => {
    const features = [...spec.numeric, ...spec.categorical];
    if (features.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'name at least one numeric or categorical feature column' });
    }
    const seen = new Set<string>();
    for (const name of [...features, spec.label]) {
      if (seen.has(name)) {
        ctx.addIssue({ code: 'custom', message: `column "${name}" is listed more than once (features and label must be distinct)` });
      }
      seen.add(name);
    }
  });

/** All feature columns in model input order: numeric first, then categorical. */
export function featureColumns(spec: FeatureSpec): string[] {
  return [...spec.numeric, ...spec.categorical];
}
