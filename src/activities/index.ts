/**
 * All activities, built over injected backends. `src/worker.ts` builds the real ones for the
 * worker (the API, model server, CLI, demo and simulation build the backends they need from the
 * same config through create-registry.ts and create-artifact-store.ts); tests may pass their own.
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { DataRoots } from '../data/data-roots';
import { createChampionFingerprint } from '../cache/champion-fingerprint';
import { Uncacheable } from '../cache/uncacheable';
import { createFileDigests } from '../cache/file-digests';
import { createSourceFingerprint } from '../cache/source-fingerprint';
import type { StepCache } from '../cache/step-cache';
import { createTrainerFingerprint } from '../cache/trainer-fingerprint';
import { STEP_PARAMS } from '../pipeline/step-params-by-kind';
import type { ModelRegistry } from '../registry/model-registry';
import type { StepRecords } from '../step-records/step-records';
import { createTaskQueuesActivity } from '../topology/task-queues-activity';
import type { TaskQueues } from '../topology/task-queues';
import { BUILTIN_TRAINER_VERSION } from '../training/builtin-trainer';
import type { ServingAdmin } from '../serving/serving-admin';
import type { PipelineMetrics } from '../observability/pipeline-metrics';
import { createCanaryActivities } from './canary';
import { evaluateCandidate } from './evaluate';
import { importCandidate } from './import-step';
import { runCommandStep } from './command-step';
import { createCommandFingerprint } from '../cache/command-fingerprint';
import { createRollbackChampion } from './rollback';
import { ingestSnapshot } from './ingest';
import { passReferences } from './noop';
import { promoteVersion } from './promote';
import { registerVersion } from './register';
import { assessRetraining, type AssessRequest } from './assess-retraining';
import { createResolvePipeline } from './resolve-pipeline';
import { atActivityBoundary } from './activity-boundary';
import { defineStep } from './step-activity';
import { trainCandidate } from './train';
import { validateSnapshots } from './validate';
import type { AccessControl } from '../auth/access-control';
import type { TrustSettings } from '../auth/run-authority';
import type { TrainerRegistry } from '../training/trainer-registry';
import { assertTrainerAllowed, expandRegisteredTrainer } from './train-policy';
import { createDecisionActivities } from './verify-decision';
import type { BatchQuarantine } from '../registry/quarantine';

export interface ActivityDeps {
  logger: Logger;
  store: ArtifactStore;
  registry: ModelRegistry;
  stepRecords: StepRecords;
  /**
   * Step outputs by content key (src/cache). Without it nothing is cached.
   * @default undefined
   */
  stepCache?: StepCache;
  pipelinesDir: string;
  duckdbThreads: number;
  /** Where ingest sources may be read from (SLIPWAY_DATA_ROOTS); nothing outside is opened. */
  dataRoots: DataRoots;
  /** The model server's inference log folder (SLIPWAY_INFERENCE_LOG_DIR), for ingest's `source.served`. */
  inferenceLogDir?: string;
  /** Git commit of the running code, recorded in lineage. */
  codeVersion?: string;
  /** The model server's admin API (canary steps, promotion, rollback); undefined without SLIPWAY_SERVE_URL. */
  serving?: ServingAdmin;
  /**
   * Task queue per kind of work, handed to pipeline runs with their resolved spec and answered
   * to the canary and rollback workflows by the `taskQueues` local activity.
   * @default undefined: every activity runs on the workflow's own queue
   */
  taskQueues?: TaskQueues;
  /**
   * Pipeline, step and canary metrics (src/observability); `src/worker.ts` passes them when the metrics endpoint is on.
   * @default undefined: nothing recorded
   */
  metrics?: PipelineMetrics;
  /**
   * Run tickets, decision tokens, the dev principal and who may run inline commands (Config.trust).
   * @default nothing verifiable, no dev principal, no inline commands
   */
  trust?: TrustSettings;
  /** Principals and grants, to refresh a verified principal's rights. @default undefined: the signed snapshot counts */
  access?: AccessControl;
  /** Admin-registered command trainers. @default undefined: only `builtin` */
  trainers?: TrainerRegistry;
  /**
   * Where validation keeps the batches it stops, and finds the ones an approver released.
   * @default undefined: failed batches are not kept and none can be released
   */
  quarantine?: BatchQuarantine;
}

export function createActivities(deps: ActivityDeps) {
  const { store, registry, duckdbThreads, dataRoots } = deps;
  const trust: TrustSettings = deps.trust ?? { inlineCommandPrincipals: [] };
  // Inputs from outside the pipeline that cached kinds depend on (see STEP_KINDS[kind].cache).
  const digests = createFileDigests();
  const sourceFiles = { cacheInputs: createSourceFingerprint(dataRoots, digests), heartbeat: true };
  const trainerCode = { cacheInputs: createTrainerFingerprint({ builtinVersion: BUILTIN_TRAINER_VERSION, digest: digests, champion: createChampionFingerprint(registry) }) };
  // Validate and evaluate heartbeat too: with a champion each reads two datasets or scores two models.
  const champion = { cacheInputs: createChampionFingerprint(registry), heartbeat: true };
  return {
    resolvePipeline: createResolvePipeline({
      pipelinesDir: deps.pipelinesDir,
      dataRoots: dataRoots.roots,
      taskQueues: deps.taskQueues,
      trust,
      access: deps.access,
      trainers: deps.trainers,
    }),
    ...createDecisionActivities({ trust, access: deps.access }),
    assessRetraining: atActivityBoundary('assessRetraining', deps.logger, (req: AssessRequest) =>
      assessRetraining({ registry, pipelinesDir: deps.pipelinesDir, duckdbThreads, dataRoots, serving: deps.serving, servedLog: { dir: deps.inferenceLogDir, store } }, req),
    ),
    ingest: defineStep(
      deps,
      'ingest',
      (p) => STEP_PARAMS.ingest.parse(p),
      (req, params) => ingestSnapshot({ store, duckdbThreads, dataRoots, inferenceLogDir: deps.inferenceLogDir }, params, req.ctx.stepId),
      sourceFiles,
    ),
    validate: defineStep(
      deps,
      'validate',
      (p) => STEP_PARAMS.validate.parse(p),
      (req, params) =>
        validateSnapshots(
          {
            store,
            duckdbThreads,
            registry,
            quarantine: deps.quarantine,
            onDrift: (d) => deps.metrics?.driftMeasured({ pipeline: req.ctx.pipeline, model: req.ctx.model, ...d }),
          },
          req,
          params,
        ),
      champion,
    ),
    train: defineStep(
      deps,
      'train',
      (p) => expandRegisteredTrainer(STEP_PARAMS.train.parse(p), deps.trainers),
      (req, params, log) => {
        assertTrainerAllowed(req, params, trust.inlineCommandPrincipals);
        return trainCandidate({ store, registry }, req, params, log);
      },
      trainerCode,
    ),
    importModel: defineStep(
      deps,
      'import',
      (p) => STEP_PARAMS.import.parse(p),
      (req, params, log) => importCandidate({ store, registry, dataRoots }, req, params, log),
    ),
    commandStep: defineStep(
      deps,
      'command',
      (p) => STEP_PARAMS.command.parse(p),
      (req, params, log) => runCommandStep({ store, programs: deps.trainers }, req, params, log),
      { cacheInputs: createCommandFingerprint(deps.trainers, digests), heartbeat: true },
    ),
    evaluate: defineStep(
      deps,
      'evaluate',
      (p) => STEP_PARAMS.evaluate.parse(p),
      (req, params, log) => evaluateCandidate({ store, registry, inferenceLogDir: deps.inferenceLogDir }, req, params, log),
      {
        ...champion,
        // A verdict on the recent served traffic is one on traffic that keeps arriving: never reused.
        cacheInputs: async (req, params) =>
          params.recent ? new Uncacheable('the recent served traffic (evaluate recent) changes over time') : champion.cacheInputs(req),
      },
    ),
    register: defineStep(deps, 'register', (p) => STEP_PARAMS.register.parse(p), (req, params) =>
      registerVersion({ registry, codeVersion: deps.codeVersion }, req, params),
    ),
    promote: defineStep(deps, 'promote', (p) => STEP_PARAMS.promote.parse(p), (req, params, log) =>
      promoteVersion({ registry, serving: deps.serving, trust, access: deps.access }, req, params, log),
    ),
    noop: defineStep(deps, 'noop', (p) => STEP_PARAMS.noop.parse(p), async (req) => passReferences(req)),
    taskQueues: createTaskQueuesActivity(deps.taskQueues),
    rollbackChampion: createRollbackChampion({ registry, logger: deps.logger, trust, access: deps.access }),
    ...withCanaryMetrics(createCanaryActivities({ logger: deps.logger, store, serving: deps.serving }), deps.metrics),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Counts each canary's verdict and its step analyses when its report is written (the canary workflow's last act). */
function withCanaryMetrics<A extends ReturnType<typeof createCanaryActivities>>(activities: A, metrics?: PipelineMetrics): A {
  if (!metrics) return activities;
  const write = activities.canaryWriteReport;
  return {
    ...activities,
    canaryWriteReport: async (report: Parameters<typeof write>[0]) => {
      const ref = await write(report);
      const analyses = report.steps.flatMap((s) => (s.analysis ? [s.analysis.verdict] : []));
      metrics.canaryFinished({ model: report.model, verdict: report.verdict, analyses });
      return ref;
    },
  };
}
