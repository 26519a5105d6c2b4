/**
 * Every environment variable Slipway reads, parsed once and frozen. Temporal connection
 * settings follow Temporal's own conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, or a TOML profile) through @temporalio/envconfig.
 */
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { z } from 'zod';
import { ConfigError } from './errors';

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  /** Task queue the worker polls and clients start pipelines on. */
  SLIPWAY_TASK_QUEUE: z.string().min(1).default('slipway'),
  /** Root of local state: artifacts, registry database, Temporal's dev database. */
  SLIPWAY_DATA_DIR: z.string().min(1).default('data'),
  SLIPWAY_ARTIFACT_ROOT: z.string().min(1).optional(),
  SLIPWAY_REGISTRY_PATH: z.string().min(1).optional(),
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
  /** Bearer tokens of the HTTP API, `name:token,...`. Secret: never logged. */
  SLIPWAY_API_TOKENS: z.string().optional(),
  /** Run the API without authentication (local development only). */
  SLIPWAY_API_INSECURE: z.enum(['true', 'false']).default('false'),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
});

export interface Config {
  taskQueue: string;
  dataDir: string;
  artifactRoot: string;
  registryPath: string;
  pipelinesDir: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  duckdbThreads: number;
  maxConcurrentActivities: number;
  uiUrl: string;
  api: { host: string; port: number; tokens?: string; insecure: boolean };
  temporal: { connection: NativeConnectionOptions; namespace: string };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`, { details: { problems } });
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SLIPWAY_DATA_DIR);
  const temporal = loadClientConnectConfig({
    overrideEnvVars: Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined)),
  });
  return Object.freeze({
    taskQueue: e.SLIPWAY_TASK_QUEUE,
    dataDir,
    artifactRoot: path.resolve(e.SLIPWAY_ARTIFACT_ROOT ?? path.join(dataDir, 'artifacts')),
    registryPath: path.resolve(e.SLIPWAY_REGISTRY_PATH ?? path.join(dataDir, 'registry.sqlite')),
    pipelinesDir: path.resolve(e.SLIPWAY_PIPELINES_DIR),
    logLevel: e.SLIPWAY_LOG_LEVEL,
    duckdbThreads: e.SLIPWAY_DUCKDB_THREADS,
    maxConcurrentActivities: e.SLIPWAY_MAX_CONCURRENT_ACTIVITIES,
    uiUrl: e.SLIPWAY_UI_URL.replace(/\/$/, ''),
    api: Object.freeze({ host: e.SLIPWAY_API_HOST, port: e.SLIPWAY_API_PORT, tokens: e.SLIPWAY_API_TOKENS, insecure: e.SLIPWAY_API_INSECURE === 'true' }),
    temporal: Object.freeze({
      connection: temporal.connectionOptions,
      namespace: temporal.namespace ?? 'default',
    }),
  });
}
