/**
 * The one registry of step kinds: which activity runs a kind, how its parameters are
 * validated, and the timeouts it gets unless the spec says otherwise.
 * Pure data and zod only, so the workflow bundle may import it.
 */
import type { z } from 'zod';
import {
  evaluateParamsSchema,
  ingestParamsSchema,
  promoteParamsSchema,
  registerParamsSchema,
  trainParamsSchema,
  validateParamsSchema,
} from './step-params';

export interface StepKind {
  /** Name of the activity that executes this kind. */
  activity: string;
  params: z.ZodType;
  /** Default start-to-close timeout (ms-format string). */
  timeout: string;
  /** Heartbeat timeout for long-running kinds; absent for short ones. */
  heartbeatTimeout?: string;
  description: string;
}

export const STEP_KINDS = {
  ingest: {
    activity: 'ingest',
    params: ingestParamsSchema,
    timeout: '15 minutes',
    description: 'Read a source with DuckDB, derive features, split train/holdout into Parquet snapshots',
  },
  validate: {
    activity: 'validate',
    params: validateParamsSchema,
    timeout: '10 minutes',
    description: 'Check schema, row counts, nulls and labels of the snapshots',
  },
  train: {
    activity: 'train',
    params: trainParamsSchema,
    timeout: '2 hours',
    heartbeatTimeout: '1 minute',
    description: 'Train a candidate model off the main thread and export it to ONNX',
  },
  evaluate: {
    activity: 'evaluate',
    params: evaluateParamsSchema,
    timeout: '30 minutes',
    description: 'Score candidate and champion on the same holdout with onnxruntime and apply the gates',
  },
  register: {
    activity: 'register',
    params: registerParamsSchema,
    timeout: '2 minutes',
    description: 'Record an immutable model version with its lineage in the registry',
  },
  promote: {
    activity: 'promote',
    params: promoteParamsSchema,
    timeout: '2 minutes',
    description: 'Move the champion alias to the new version when the evaluation blessed it',
  },
} as const satisfies Record<string, StepKind>;

export type StepKindName = keyof typeof STEP_KINDS;
export const STEP_KIND_NAMES = Object.keys(STEP_KINDS) as StepKindName[];
