/**
 * The parameter schema of every step kind, kept apart from STEP_KINDS so the workflow bundle,
 * which imports STEP_KINDS, stays free of zod. Used where specs are parsed (activities, API, CLI).
 */
import type { z } from 'zod';
import type { StepKindName } from './step-kinds';
import {
  canaryParamsSchema,
  evaluateParamsSchema,
  ingestParamsSchema,
  noopParamsSchema,
  promoteParamsSchema,
  registerParamsSchema,
  trainParamsSchema,
  validateParamsSchema,
} from './step-params';
import { commandParamsSchema } from './command-params';
import { importParamsSchema } from './import-params';

export const STEP_PARAMS = Object.freeze({
  ingest: ingestParamsSchema,
  validate: validateParamsSchema,
  train: trainParamsSchema,
  import: importParamsSchema,
  command: commandParamsSchema,
  evaluate: evaluateParamsSchema,
  register: registerParamsSchema,
  canary: canaryParamsSchema,
  promote: promoteParamsSchema,
  noop: noopParamsSchema,
}) satisfies Readonly<Record<StepKindName, z.ZodType>>;
