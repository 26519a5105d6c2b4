/**
 * Parameter schemas of the built-in step kinds. Each is strict: an unknown field is a
 * typo until proven otherwise, and silently ignoring it would run a different pipeline
 * than the one the user wrote.
 */
import { z } from 'zod';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/, 'expected an ISO date such as 2001-01-31');

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a column name (letters, digits, _)');

export const featureTransforms = ['identity', 'double', 'hour', 'weekday', 'month', 'day'] as const;

export const ingestParamsSchema = z
  .object({
    source: z
      .object({
        /** File path or glob; `package:<npm-package>/<path>` resolves inside an installed package. */
        path: z.string().min(1),
        format: z.enum(['auto', 'parquet', 'csv', 'json', 'ndjson']).default('auto'),
      })
      .strict(),
    timeColumn: identifier,
    window: z
      .object({ from: isoDate.optional(), to: isoDate.optional() })
      .strict()
      .default({}),
    features: z
      .array(
        z
          .object({
            name: identifier,
            column: identifier,
            transform: z.enum(featureTransforms).default('identity'),
          })
          .strict(),
      )
      .min(1),
    label: z
      .object({
        name: identifier.default('label'),
        column: identifier,
        op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq']),
        value: z.number(),
      })
      .strict(),
    split: z
      .object({
        strategy: z.enum(['time', 'hash']).default('time'),
        holdoutFraction: z.number().gt(0).lt(1).default(0.2),
      })
      .strict()
      .default({ strategy: 'time', holdoutFraction: 0.2 }),
  })
  .strict();

export const validateParamsSchema = z
  .object({
    minRows: z.number().int().nonnegative().default(100),
    maxNullFraction: z.number().min(0).max(1).default(0.05),
    minPositiveRate: z.number().min(0).max(1).default(0.001),
    maxPositiveRate: z.number().min(0).max(1).default(0.999),
  })
  .strict();

export const trainParamsSchema = z
  .object({
    trainer: z.enum(['builtin']).default('builtin'),
    features: z
      .object({
        numeric: z.array(identifier).default([]),
        categorical: z.array(identifier).default([]),
      })
      .strict(),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const metricNames = [
  'auc',
  'logLoss',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'brier',
  'ece',
] as const;

export const gateSchema = z
  .object({
    metric: z.enum(metricNames),
    /** `value`: metric compared with `min`/`max`. `delta`: new - champion. `relative`: (new - champion) / champion. */
    compare: z.enum(['value', 'delta', 'relative']).default('value'),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict()
  .refine((g) => g.min !== undefined || g.max !== undefined, 'a gate needs min, max or both');

export const evaluateParamsSchema = z
  .object({
    primaryMetric: z.enum(metricNames).default('auc'),
    threshold: z.number().gt(0).lt(1).default(0.5),
    gates: z.array(gateSchema).default([]),
    /** What happens when no champion exists: `pass` blesses on value gates alone, `fail` never blesses. */
    firstRun: z.enum(['pass', 'fail']).default('pass'),
  })
  .strict();

export const registerParamsSchema = z
  .object({
    description: z.string().max(2000).optional(),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const promoteParamsSchema = z
  .object({
    alias: z.string().regex(/^[a-z][a-z0-9-]*$/).default('champion'),
  })
  .strict();

export type IngestParams = z.infer<typeof ingestParamsSchema>;
export type ValidateParams = z.infer<typeof validateParamsSchema>;
export type TrainParams = z.infer<typeof trainParamsSchema>;
export type EvaluateParams = z.infer<typeof evaluateParamsSchema>;
export type Gate = z.infer<typeof gateSchema>;
export type RegisterParams = z.infer<typeof registerParamsSchema>;
export type PromoteParams = z.infer<typeof promoteParamsSchema>;
