/**
 * Every environment variable Slipway reads, parsed once and frozen. Temporal connection
 * settings follow Temporal's own conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, or a TOML profile) through @temporalio/envconfig.
 */
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { z } from 'zod';
import { parseDataRoots, type DataRoots } from './data/data-roots';
import { parseRemoteSources } from './data/remote-sources-config';
import { parseTokenList } from './auth/authenticator';
import { AUTH_THROTTLE_DEFAULTS, type AuthThrottleOptions } from './auth/auth-throttle';
import { GENERATE_HINT, weakSecretReason } from './auth/secret-strength';
import { ConfigError } from './errors';
import { durationWithin } from './duration/duration-schema';
import { toMs } from './duration/duration';
import { parseSampleRates, type SampleRates } from './serving/inference-log/sample-rates';
import { deriveTaskQueues, parseWorkerQueues, type TaskQueues, type WorkKind } from './topology/task-queues';

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  /** Task queue the worker polls and clients start pipelines on. */
  SLIPWAY_TASK_QUEUE: z.string().min(1).default('slipway'),
  /**
   * Kinds of work this worker process serves: `all` (default: one process serves every queue) or a
   * comma-separated list of orchestration, data, training, deployment. See docs/topology.md.
   */
  SLIPWAY_WORKER_QUEUES: z.string().default('all').refine((v) => typeof parseWorkerQueues(v) !== 'string', {
    error: (issue) => String(parseWorkerQueues(String(issue.input))),
  }),
  /** Queue of ingest and validate; default `<SLIPWAY_TASK_QUEUE>-data`. */
  SLIPWAY_DATA_TASK_QUEUE: z.string().min(1).optional(),
  /** Queue of train and evaluate; default `<SLIPWAY_TASK_QUEUE>-training`. */
  SLIPWAY_TRAINING_TASK_QUEUE: z.string().min(1).optional(),
  /** Queue of promote, canary traffic and rollback; default `<SLIPWAY_TASK_QUEUE>-deployment`. */
  SLIPWAY_DEPLOYMENT_TASK_QUEUE: z.string().min(1).optional(),
  /** Root of local state: artifacts, registry database, Temporal's dev database. */
  SLIPWAY_DATA_DIR: z.string().min(1).default('data'),
  SLIPWAY_ARTIFACT_ROOT: z.string().min(1).optional(),
  SLIPWAY_REGISTRY_PATH: z.string().min(1).optional(),
  /** PostgreSQL registry (`postgres://user:password@host:5432/db`); when set, used instead of the SQLite file. Secret: never logged. */
  SLIPWAY_REGISTRY_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// or postgresql:// URL').optional(),
  /**
   * Folders pipeline sources may read (`source.path`), comma-separated; symlinks are resolved before
   * the check. `package:` sources are always allowed, confined to their package. Default
   * `$SLIPWAY_DATA_DIR/sources` (never the whole data folder: it holds the registry and secrets).
   */
  SLIPWAY_DATA_ROOTS: z.string().min(1).optional(),
  /**
   * How long a quarantined batch may wait for a release or discard (src/validation/ARCHITECTURE.md,
   * "Quarantine"); past it the quarantine sweep acts as SLIPWAY_QUARANTINE_EXPIRY says.
   */
  // At least an hour: the sweep deletes the bytes of what it discards, and `1m` written for a month is a minute.
  SLIPWAY_QUARANTINE_RETENTION: durationWithin({ min: '1h' }).default('30d'),
  /** `discard`: an undecided batch past the retention is discarded (audited, reason "retention expired") and its bytes purged; `report`: only logged. */
  SLIPWAY_QUARANTINE_EXPIRY: z.enum(['discard', 'report']).default('discard'),
  /** Most files one source (a glob) may match. */
  SLIPWAY_SOURCE_MAX_FILES: positiveInt.default(10_000),
  /** Most files and folders one glob expansion may visit. */
  SLIPWAY_SOURCE_MAX_WALK: positiveInt.default(200_000),
  /**
   * Remote sources a spec may name, comma-separated: `s3://bucket`, `gs://bucket`, `https://host[:port]`,
   * each optionally with a key prefix; plain `http://host:port` only when listed so. Unset: none (docs/remote-sources.md).
   */
  SLIPWAY_REMOTE_SOURCES: z.string().optional(),
  /**
   * Named credentials for remote sources, JSON: `{"<name>": {"type": "s3"|"gcs"|"http", "scope": "s3://bucket",
   * "keyId", "secret", "region", "endpoint", "urlStyle", "useSsl", "bearerToken"}}`. Secret: never logged.
   */
  SLIPWAY_SOURCE_SECRETS: z.string().optional(),
  /** DuckDB's httpfs extension file (checked against a pinned sha256 before loading); default .tools/duckdb-extensions/httpfs.duckdb_extension. */
  SLIPWAY_HTTPFS_EXTENSION: z.string().min(1).optional(),
  /** A PEM CA bundle DuckDB trusts for https:// sources (private servers); unset: the system's. */
  SLIPWAY_SOURCE_CA_FILE: z.string().min(1).optional(),
  /** Git commit of the running code, recorded in every model version's lineage; unset: `git rev-parse HEAD` at start (images set it at build time). */
  SLIPWAY_CODE_VERSION: z
    .string()
    .optional()
    .transform((v) => v || undefined),
  /** Folder of named pipeline specs (`<name>.yaml`). */
  SLIPWAY_PIPELINES_DIR: z.string().min(1).default('pipelines'),
  SLIPWAY_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  /** DuckDB threads per activity. */
  SLIPWAY_DUCKDB_THREADS: positiveInt.default(2),
  SLIPWAY_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(4),
  /** Base URL of the Temporal Web UI, for links in summaries. */
  SLIPWAY_UI_URL: z.string().url().default('http://localhost:8233'),
  /** HTTP API listen address. */
  SLIPWAY_API_HOST: z.string().default('127.0.0.1'),
  SLIPWAY_API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * Bootstrap admin tokens of the HTTP API, `name:token,...`; `name@YYYY-MM-DD:token` expires that day.
   * Each token needs 32+ characters and passes an entropy check (src/auth/secret-strength.ts). Secret: never logged.
   */
  SLIPWAY_API_TOKENS: z.string().optional().superRefine((value, ctx) => {
    for (const problem of apiTokenProblems(value)) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** The caller's API token (`slw_…`) for CLI commands that check roles (tokens, grants, rollback, audit). Secret: never logged. */
  SLIPWAY_TOKEN: z.string().optional(),
  /** Run the API without authentication (local development only). */
  SLIPWAY_API_INSECURE: z.enum(['true', 'false']).default('false'),
  /** Model server listen address (`npm run serve`). */
  SLIPWAY_SERVE_HOST: z.string().default('127.0.0.1'),
  SLIPWAY_SERVE_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  /** Port of the Open Inference Protocol over gRPC on SLIPWAY_SERVE_HOST; unset: no gRPC listener. */
  SLIPWAY_SERVE_GRPC_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /**
   * Bearer token of the model server's admin API (32+ characters, entropy-checked); during a rotation
   * `new,old`: the server accepts both, workers send the first. Secret: never logged.
   */
  SLIPWAY_SERVE_ADMIN_TOKEN: z.string().optional().superRefine((value, ctx) => {
    (value ?? '').split(',').filter(Boolean).forEach((token, i) => {
      const weak = weakSecretReason(token.trim());
      if (weak) ctx.addIssue({ code: 'custom', message: `token ${i + 1} is too weak: ${weak}; ${GENERATE_HINT}` });
    });
  }),
  /** Unknown bearer tokens one client address may present per window (API and model server admin) before 429. */
  SLIPWAY_AUTH_MAX_FAILURES: positiveInt.default(AUTH_THROTTLE_DEFAULTS.maxFailures),
  SLIPWAY_AUTH_FAILURE_WINDOW_SECONDS: positiveInt.default(AUTH_THROTTLE_DEFAULTS.windowSeconds),
  /** Base URL of the model server's admin API for canary, promotion and rollback (e.g. http://127.0.0.1:8090); unset: no serving steps. */
  SLIPWAY_SERVE_URL: z.string().url().optional(),
  /** Deployment state of the model server; default `$SLIPWAY_DATA_DIR/serving/deployments.json`. */
  SLIPWAY_SERVE_STATE_PATH: z.string().min(1).optional(),
  /** Predictions running at once; more wait in a queue of SLIPWAY_SERVE_MAX_QUEUE, beyond that 503. */
  SLIPWAY_SERVE_MAX_CONCURRENCY: positiveInt.default(64),
  SLIPWAY_SERVE_MAX_QUEUE: z.coerce.number().int().min(0).default(1024),
  /** Mirrored requests a deployment's shadow version may have queued or in scoring; beyond it they are dropped (counted). */
  SLIPWAY_SERVE_SHADOW_MAX_PENDING: z.coerce.number().int().min(0).default(1024),
  /** Requests per second per connection address (see SLIPWAY_SERVE_TRUST_PROXY) on /v1 routes; 0 disables. */
  SLIPWAY_SERVE_RATE_LIMIT: z.coerce.number().int().min(0).default(5000),
  /**
   * Whose X-Forwarded-For the model server believes for the client address rate limits key on:
   * `false` (default: the TCP peer), `true` (anyone: only behind a proxy that overwrites the
   * header), or a comma list of proxy addresses/CIDRs (recommended behind a proxy). docs/serving-trust.md.
   */
  SLIPWAY_SERVE_TRUST_PROXY: z.string().default('false'),
  /** Require a token (any role but labeler) for predictions too; labels always need one (labeler role + grant). */
  SLIPWAY_SERVE_PREDICT_AUTH: z.enum(['true', 'false']).default('false'),
  /**
   * `auto`: Slipway's own logistic-regression models (proven by re-export, serving/linear-scorer.ts)
   * are scored in TypeScript, everything else by onnxruntime; `onnxruntime`: every model by onnxruntime.
   */
  SLIPWAY_SERVE_LINEAR_SCORER: z.enum(['auto', 'onnxruntime']).default('auto'),
  /**
   * A static label-source token for local setups (principal `env:serve-labeler`, role labeler, every
   * model). 32+ characters, entropy-checked like the admin tokens. Secret: never logged. In production create labeler principals with per-model grants instead.
   */
  SLIPWAY_SERVE_LABELER_TOKEN: z.string().optional().superRefine((value, ctx) => {
    const weak = value === undefined ? undefined : weakSecretReason(value);
    if (weak) ctx.addIssue({ code: 'custom', message: `too weak: ${weak}; ${GENERATE_HINT}` });
  }),
  /** Labels one source may post a minute (0: no quota). */
  SLIPWAY_SERVE_LABEL_QUOTA: z.coerce.number().int().min(0).default(120_000),
  /** Bytes the remembered predictions (for feedback) may retain, oldest forgotten first. */
  SLIPWAY_SERVE_FEEDBACK_MAX_BYTES: positiveInt.default(128 << 20),
  /** Bytes all versions' live stats may take (worst case); the least recently active version goes first. */
  SLIPWAY_SERVE_STATS_MAX_BYTES: positiveInt.default(256 << 20),
  /** Most rows in one predict request. */
  SLIPWAY_SERVE_MAX_BATCH: positiveInt.default(1000),
  /** Request ids remembered for feedback (oldest forgotten first). */
  SLIPWAY_SERVE_FEEDBACK_CAPACITY: positiveInt.default(200_000),
  /** Labelled predictions kept per version for live accuracy and AUC. */
  SLIPWAY_SERVE_LABEL_WINDOW: positiveInt.default(20_000),
  /** Seconds of per-version stats kept for the admin stats API. */
  SLIPWAY_SERVE_STATS_RETENTION_SECONDS: positiveInt.default(3600),
  /**
   * Folder of the inference log (write-ahead segments and the index of its Parquet windows, which
   * live in the artifact store). The model server logs there; the worker reads `served` sources from
   * it, so both must see the same folder. Unset: no inference log, no served sources.
   */
  SLIPWAY_INFERENCE_LOG_DIR: z.string().min(1).optional(),
  /** Share of requests logged: a default and per-model rates, `0.05,delays=1`; every request while a canary runs. */
  SLIPWAY_SERVE_LOG_SAMPLE: z.string().default('0.05').superRefine((value, ctx) => {
    try {
      parseSampleRates(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }),
  /** Inference log rows buffered before served rows are dropped (and counted). */
  SLIPWAY_SERVE_LOG_MAX_BUFFER: positiveInt.default(100_000),
  /** Seconds of traffic per Parquet window of the inference log. */
  SLIPWAY_SERVE_LOG_WINDOW_SECONDS: positiveInt.default(300),
  /**
   * HMAC key shared by the API, CLI and workers: run tickets and approval decisions are signed with it so the
   * worker can verify who started or decided (src/auth/ARCHITECTURE.md). At least 32 characters.
   */
  SLIPWAY_RUN_SIGNING_KEY: z.string().min(32, 'at least 32 characters; generate one with `openssl rand -base64 48`').optional(),
  /**
   * Local development only: runs and approvals without a verifiable identity (Temporal Web UI, `temporal` CLI)
   * act as the admin `dev:<name>`. Unset in production: they get the minimal policy (docs/trust-boundary.md).
   */
  SLIPWAY_DEV_PRINCIPAL: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a short name such as "local"').optional(),
  /** Admin-registered command trainers (name → command, params, env); relative to the working directory. */
  SLIPWAY_TRAINERS_FILE: z.string().min(1).default('trainers/registry.yaml'),
  /** Principals (comma-separated names) an admin allows to run inline `trainer: command` specs; empty: nobody. */
  SLIPWAY_INLINE_COMMAND_PRINCIPALS: z.string().default(''),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  /** Shared artifact store for multi-machine setups, `s3://bucket/prefix`; unset: the local folder SLIPWAY_ARTIFACT_ROOT, which with S3 becomes the verified local cache. */
  SLIPWAY_ARTIFACT_URL: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?$/, 'expected s3://<bucket>[/<prefix>]').optional(),
  /** Endpoint of an S3-compatible server (MinIO, Ceph, …); unset: AWS S3 in AWS_REGION. */
  SLIPWAY_S3_ENDPOINT: z.string().url().optional(),
  /** Path-style requests (`<endpoint>/<bucket>/<key>`), which most S3-compatible servers need. */
  SLIPWAY_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  /** Read by the AWS SDK's default credential chain; named here so every variable Slipway depends on is in this schema. Secrets: never logged. */
  AWS_REGION: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  AWS_PROFILE: z.string().optional(),
  /** S3-compatible endpoint for s3:// sources read with the AWS_* keys (the AWS CLI's variables). */
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  /** Worker Prometheus endpoint (`/metrics`: Slipway's pipeline metrics plus the Temporal SDK's); unset: no endpoint. */
  SLIPWAY_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SLIPWAY_WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  /** OpenTelemetry tracing, off unless OTEL_TRACES_EXPORTER is `otlp` or `console`, or an OTLP endpoint is set; read by the OTel exporter as usual. */
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().default('slipway'),
});

/** Problems with SLIPWAY_API_TOKENS, naming entries by name, never echoing a token. */
function apiTokenProblems(value: string | undefined): string[] {
  let tokens;
  try {
    tokens = parseTokenList(value);
  } catch (err) {
    return [(err as Error).message];
  }
  return tokens.flatMap((t) => {
    const weak = weakSecretReason(t.token);
    return weak ? [`token "${t.name}" is too weak: ${weak}; ${GENERATE_HINT}`] : [];
  });
}

/** Every SLIPWAY_*, AWS_*, OTEL_* (and basic TEMPORAL_*) variable the schema names; the compose test checks deployments against it. */
export const ENV_VAR_NAMES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

export interface Config {
  /** The orchestration queue: workflows run here, and clients start them here. */
  taskQueue: string;
  /** Queue name per kind of work (`taskQueues.orchestration === taskQueue`). */
  taskQueues: TaskQueues;
  /** Kinds of work this process serves (SLIPWAY_WORKER_QUEUES). */
  workerQueues: readonly WorkKind[];
  dataDir: string;
  artifactRoot: string;
  registryPath: string;
  /** SLIPWAY_INFERENCE_LOG_DIR resolved; undefined: no inference log, no served sources. */
  inferenceLogDir?: string;
  /** PostgreSQL URL of the registry database; undefined: SQLite at `registryPath`. Contains the password. */
  registryUrl?: string;
  pipelinesDir: string;
  /** Where pipeline sources may be read from (src/data/data-roots.ts). */
  dataRoots: DataRoots;
  /** SLIPWAY_CODE_VERSION; undefined: the worker asks git. */
  codeVersion?: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  duckdbThreads: number;
  maxConcurrentActivities: number;
  uiUrl: string;
  /** `tokens`: bootstrap admin tokens (`name:token,…`); `cliToken`: the CLI caller's own token. Both secret. */
  api: { host: string; port: number; tokens?: string; cliToken?: string; insecure: boolean };
  serve: ServeConfig;
  /** Failed-authentication throttling of the API and the model server's admin API. */
  authThrottle: AuthThrottleOptions;
  temporal: { connection: NativeConnectionOptions; namespace: string };
  /** Retention of undecided quarantined batches (src/registry/quarantine-purge.ts). */
  quarantine: { retention: string; retentionMs: number; expiry: 'discard' | 'report' };
  /** Where artifacts live beyond `artifactRoot` (src/artifacts/create-artifact-store.ts). */
  artifacts: { s3?: { bucket: string; prefix: string; endpoint?: string; forcePathStyle: boolean; region?: string } };
  /** Who may do what through the spec and Temporal (src/auth/ARCHITECTURE.md, docs/trust-boundary.md). */
  trust: TrustConfig;
  /** Metrics endpoint and tracing (src/observability). */
  observability: {
    metrics?: { host: string; port: number };
    tracing?: { exporter: 'otlp' | 'console'; serviceName: string };
  };
}

/** Run identity and spec policy settings. */
export interface TrustConfig {
  /** Secret: HMAC key of run tickets and decision tokens; undefined: nothing is signed or verifiable. */
  signingKey?: string;
  /** `dev:<name>` when SLIPWAY_DEV_PRINCIPAL is set (local development); undefined in production. */
  devPrincipal?: string;
  trainersFile: string;
  inlineCommandPrincipals: readonly string[];
}

/** The model server's settings (src/serving). */
export interface ServeConfig {
  host: string;
  port: number;
  /** Open Inference Protocol gRPC port (SLIPWAY_SERVE_GRPC_PORT); undefined: no gRPC listener. */
  grpcPort?: number;
  /** The token workers send (the first of SLIPWAY_SERVE_ADMIN_TOKEN). */
  adminToken?: string;
  /** Every token the server accepts: more than one only during a rotation. */
  adminTokens: readonly string[];
  /** Where workers reach the model server's admin API; undefined: canary steps fail with ServingNotConfigured. */
  url?: string;
  statePath: string;
  maxConcurrency: number;
  maxQueue: number;
  shadowMaxPending: number;
  rateLimitPerSecond: number;
  /** Fastify `trustProxy`: false, true, or proxy addresses/CIDRs. */
  trustProxy: boolean | string[];
  predictAuth: boolean;
  /** Score proven Slipway logistic regressions in TypeScript (`auto`) or all models in onnxruntime. */
  linearScorer: 'auto' | 'onnxruntime';
  labelerToken?: string;
  labelQuotaPerMinute: number;
  maxBatch: number;
  feedbackCapacity: number;
  feedbackMaxBytes: number;
  labelWindow: number;
  statsRetentionSeconds: number;
  statsMaxBytes: number;
  /** Inference log: sample rates, buffer bound and window length (the folder is Config.inferenceLogDir). */
  log: { rates: SampleRates; maxBufferedRows: number; windowMs: number };
}

/** `false`, `true`, or a comma list of proxy addresses/CIDRs (kept as given; Fastify checks them). */
function parseTrustProxy(value: string): boolean | string[] {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`, { details: { problems } });
  }
  const e = parsed.data;
  const adminTokens = (e.SLIPWAY_SERVE_ADMIN_TOKEN ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const dataDir = path.resolve(e.SLIPWAY_DATA_DIR);
  const temporal = loadClientConnectConfig({
    overrideEnvVars: Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined)),
  });
  return Object.freeze(hideSecrets({
    taskQueue: e.SLIPWAY_TASK_QUEUE,
    taskQueues: deriveTaskQueues(e.SLIPWAY_TASK_QUEUE, {
      data: e.SLIPWAY_DATA_TASK_QUEUE,
      training: e.SLIPWAY_TRAINING_TASK_QUEUE,
      deployment: e.SLIPWAY_DEPLOYMENT_TASK_QUEUE,
    }),
    workerQueues: Object.freeze(parseWorkerQueues(e.SLIPWAY_WORKER_QUEUES) as WorkKind[]),
    dataDir,
    artifactRoot: path.resolve(e.SLIPWAY_ARTIFACT_ROOT ?? path.join(dataDir, 'artifacts')),
    registryPath: path.resolve(e.SLIPWAY_REGISTRY_PATH ?? path.join(dataDir, 'registry.sqlite')),
    registryUrl: e.SLIPWAY_REGISTRY_URL,
    pipelinesDir: path.resolve(e.SLIPWAY_PIPELINES_DIR),
    dataRoots: Object.freeze({
      roots: Object.freeze(parseDataRoots(e.SLIPWAY_DATA_ROOTS ?? path.join(dataDir, 'sources'))),
      maxFiles: e.SLIPWAY_SOURCE_MAX_FILES,
      maxWalkEntries: e.SLIPWAY_SOURCE_MAX_WALK,
      remote: parseRemoteSources(e),
    }),
    codeVersion: e.SLIPWAY_CODE_VERSION,
    logLevel: e.SLIPWAY_LOG_LEVEL,
    duckdbThreads: e.SLIPWAY_DUCKDB_THREADS,
    inferenceLogDir: e.SLIPWAY_INFERENCE_LOG_DIR === undefined ? undefined : path.resolve(e.SLIPWAY_INFERENCE_LOG_DIR),
    maxConcurrentActivities: e.SLIPWAY_MAX_CONCURRENT_ACTIVITIES,
    uiUrl: e.SLIPWAY_UI_URL.replace(/\/$/, ''),
    api: Object.freeze(hideSecrets({ host: e.SLIPWAY_API_HOST, port: e.SLIPWAY_API_PORT, tokens: e.SLIPWAY_API_TOKENS, cliToken: e.SLIPWAY_TOKEN, insecure: e.SLIPWAY_API_INSECURE === 'true' }, ['tokens', 'cliToken'])),
    serve: Object.freeze(hideSecrets({
      host: e.SLIPWAY_SERVE_HOST,
      port: e.SLIPWAY_SERVE_PORT,
      grpcPort: e.SLIPWAY_SERVE_GRPC_PORT,
      adminToken: adminTokens[0],
      adminTokens: Object.freeze(adminTokens),
      url: e.SLIPWAY_SERVE_URL?.replace(/\/$/, ''),
      statePath: path.resolve(e.SLIPWAY_SERVE_STATE_PATH ?? path.join(dataDir, 'serving', 'deployments.json')),
      maxConcurrency: e.SLIPWAY_SERVE_MAX_CONCURRENCY,
      maxQueue: e.SLIPWAY_SERVE_MAX_QUEUE,
      shadowMaxPending: e.SLIPWAY_SERVE_SHADOW_MAX_PENDING,
      rateLimitPerSecond: e.SLIPWAY_SERVE_RATE_LIMIT,
      trustProxy: parseTrustProxy(e.SLIPWAY_SERVE_TRUST_PROXY),
      predictAuth: e.SLIPWAY_SERVE_PREDICT_AUTH === 'true',
      linearScorer: e.SLIPWAY_SERVE_LINEAR_SCORER,
      labelerToken: e.SLIPWAY_SERVE_LABELER_TOKEN,
      labelQuotaPerMinute: e.SLIPWAY_SERVE_LABEL_QUOTA,
      maxBatch: e.SLIPWAY_SERVE_MAX_BATCH,
      feedbackCapacity: e.SLIPWAY_SERVE_FEEDBACK_CAPACITY,
      feedbackMaxBytes: e.SLIPWAY_SERVE_FEEDBACK_MAX_BYTES,
      labelWindow: e.SLIPWAY_SERVE_LABEL_WINDOW,
      statsRetentionSeconds: e.SLIPWAY_SERVE_STATS_RETENTION_SECONDS,
      statsMaxBytes: e.SLIPWAY_SERVE_STATS_MAX_BYTES,
      log: Object.freeze({ rates: parseSampleRates(e.SLIPWAY_SERVE_LOG_SAMPLE), maxBufferedRows: e.SLIPWAY_SERVE_LOG_MAX_BUFFER, windowMs: e.SLIPWAY_SERVE_LOG_WINDOW_SECONDS * 1000 }),
    }, ['adminToken', 'adminTokens', 'labelerToken'])),
    trust: Object.freeze({
      signingKey: e.SLIPWAY_RUN_SIGNING_KEY,
      devPrincipal: e.SLIPWAY_DEV_PRINCIPAL ? `dev:${e.SLIPWAY_DEV_PRINCIPAL}` : undefined,
      trainersFile: path.resolve(e.SLIPWAY_TRAINERS_FILE),
      inlineCommandPrincipals: Object.freeze(e.SLIPWAY_INLINE_COMMAND_PRINCIPALS.split(',').map((n) => n.trim()).filter(Boolean)),
    }),
    quarantine: Object.freeze({ retention: e.SLIPWAY_QUARANTINE_RETENTION.trim(), retentionMs: toMs(e.SLIPWAY_QUARANTINE_RETENTION), expiry: e.SLIPWAY_QUARANTINE_EXPIRY }),
    artifacts: Object.freeze({ s3: e.SLIPWAY_ARTIFACT_URL ? s3Settings(e.SLIPWAY_ARTIFACT_URL, e) : undefined }),
    observability: Object.freeze({
      metrics: e.SLIPWAY_WORKER_METRICS_PORT === undefined ? undefined : { host: e.SLIPWAY_WORKER_METRICS_HOST, port: e.SLIPWAY_WORKER_METRICS_PORT },
      tracing: tracingExporter(e) && { exporter: tracingExporter(e)!, serviceName: e.OTEL_SERVICE_NAME },
    }),
    authThrottle: Object.freeze({ maxFailures: e.SLIPWAY_AUTH_MAX_FAILURES, windowSeconds: e.SLIPWAY_AUTH_FAILURE_WINDOW_SECONDS }),
    temporal: Object.freeze({
      connection: temporal.connectionOptions,
      namespace: temporal.namespace ?? 'default',
    }),
  }, ['registryUrl']));
}

/**
 * Makes the secret `keys` of `settings` non-enumerable: code reads them as usual, while JSON, pino
 * and util.inspect never see them, so logging a config object cannot leak one. (The Temporal
 * connection options stay as envconfig builds them: the SDK copies them by spreading; the logger's
 * redact paths cover them.)
 */
function hideSecrets<T extends object>(settings: T, keys: readonly (keyof T)[]): T {
  for (const key of keys) Object.defineProperty(settings, key, { value: settings[key], enumerable: false, writable: false });
  return settings;
}

function s3Settings(url: string, e: z.infer<typeof envSchema>): NonNullable<Config['artifacts']['s3']> {
  const [, bucket, prefix = ''] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url)!;
  return {
    bucket,
    prefix: prefix.replace(/^\/+|\/+$/g, ''),
    endpoint: e.SLIPWAY_S3_ENDPOINT,
    forcePathStyle: e.SLIPWAY_S3_FORCE_PATH_STYLE === 'true',
    region: e.AWS_REGION,
  };
}

/** The standard OTel switches: OTEL_SDK_DISABLED wins, then OTEL_TRACES_EXPORTER, then an OTLP endpoint turns tracing on. */
function tracingExporter(e: z.infer<typeof envSchema>): 'otlp' | 'console' | undefined {
  if (e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (e.OTEL_TRACES_EXPORTER) return e.OTEL_TRACES_EXPORTER;
  return e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : undefined;
}
