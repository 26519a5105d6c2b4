/**
 * All activities, built over injected backends. `src/worker.ts` is the only place that
 * constructs the real backends; tests may pass their own.
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import {
  evaluateParamsSchema,
  ingestParamsSchema,
  promoteParamsSchema,
  registerParamsSchema,
  trainParamsSchema,
  validateParamsSchema,
} from '../pipeline/step-params';
import type { ModelRegistry } from '../registry/model-registry';
import type { StepRecords } from '../step-records/step-records';
import { evaluateCandidate } from './evaluate';
import { ingestSnapshot } from './ingest';
import { promoteVersion } from './promote';
import { registerVersion } from './register';
import { createResolvePipeline } from './resolve-pipeline';
import { defineStep } from './step-activity';
import { trainCandidate } from './train';
import { validateSnapshots } from './validate';

export interface ActivityDeps {
  logger: Logger;
  store: ArtifactStore;
  registry: ModelRegistry;
  stepRecords: StepRecords;
  pipelinesDir: string;
  duckdbThreads: number;
  /** Git commit of the running code, recorded in lineage. */
  codeVersion?: string;
}

export function createActivities(deps: ActivityDeps) {
  const { store, registry, duckdbThreads } = deps;
  return {
    resolvePipeline: createResolvePipeline({ pipelinesDir: deps.pipelinesDir }),
    ingest: defineStep(deps, 'ingest', (p) => ingestParamsSchema.parse(p), (req, params) =>
      ingestSnapshot({ store, duckdbThreads }, params, req.ctx.stepId),
    ),
    validate: defineStep(deps, 'validate', (p) => validateParamsSchema.parse(p), (req, params) =>
      validateSnapshots({ store, duckdbThreads }, req, params),
    ),
    train: defineStep(deps, 'train', (p) => trainParamsSchema.parse(p), (req, params, log) =>
      trainCandidate({ store }, req, params, log),
    ),
    evaluate: defineStep(deps, 'evaluate', (p) => evaluateParamsSchema.parse(p), (req, params, log) =>
      evaluateCandidate({ store, registry }, req, params, log),
    ),
    register: defineStep(deps, 'register', (p) => registerParamsSchema.parse(p), (req, params) =>
      registerVersion({ registry, codeVersion: deps.codeVersion }, req, params),
    ),
    promote: defineStep(deps, 'promote', (p) => promoteParamsSchema.parse(p), (req, params) =>
      promoteVersion({ registry }, req, params),
    ),
  };
}

export type Activities = ReturnType<typeof createActivities>;
