/**
 * The worker's remote-source settings: which buckets and hosts sources may name
 * (SLIPWAY_REMOTE_SOURCES), the credentials DuckDB uses for them (AWS_* and SLIPWAY_SOURCE_SECRETS),
 * the httpfs extension file (SLIPWAY_HTTPFS_EXTENSION) and an extra CA bundle for private HTTPS
 * servers (SLIPWAY_SOURCE_CA_FILE). Credentials live here, on the worker, never in a spec.
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { parseAllowEntry } from './remote-url';

/** One named credential, scoped to a URL prefix (DuckDB picks the longest matching scope). */
export interface SourceSecret {
  name: string;
  /** `s3` (AWS S3 and S3-compatible servers), `gcs` (Google Cloud Storage HMAC keys), `http` (a bearer token). */
  type: 's3' | 'gcs' | 'http';
  /** URL prefix the secret applies to, such as `s3://bucket` or `https://host`. */
  scope: string;
  keyId?: string;
  secret?: string;
  sessionToken?: string;
  region?: string;
  /** `host[:port]` of an S3-compatible server; unset: the provider's own endpoint. */
  endpoint?: string;
  /** `path` for most S3-compatible servers; @default 'vhost' */
  urlStyle?: 'path' | 'vhost';
  /** @default true */
  useSsl?: boolean;
  bearerToken?: string;
}

/** Remote-source settings, part of {@link DataRoots}. */
export interface RemoteSources {
  /** Allow-list entries (`s3://bucket`, `gs://bucket`, `https://host[:port]`, `http://host:port`, optional path prefix). */
  readonly allowed: readonly string[];
  /** Named credentials; non-enumerable so logging the config never prints them. */
  readonly secrets: readonly SourceSecret[];
  /** Absolute path of httpfs.duckdb_extension. */
  readonly extensionFile: string;
  /** A PEM bundle DuckDB trusts for https:// sources; unset: the system's. */
  readonly caFile?: string;
}

const secretSchema = z
  .object({
    type: z.enum(['s3', 'gcs', 'http']),
    scope: z.string().min(1),
    keyId: z.string().min(1).optional(),
    secret: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
    endpoint: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'expected host[:port], no scheme').optional(),
    urlStyle: z.enum(['path', 'vhost']).optional(),
    useSsl: z.boolean().optional(),
    bearerToken: z.string().min(1).optional(),
  })
  .strict();

/** Where scripts/duckdb-extensions.sh puts the pinned extension. */
export const DEFAULT_HTTPFS_EXTENSION = path.join('.tools', 'duckdb-extensions', 'httpfs.duckdb_extension');

export interface RemoteSourcesEnv {
  SLIPWAY_REMOTE_SOURCES?: string;
  SLIPWAY_SOURCE_SECRETS?: string;
  SLIPWAY_HTTPFS_EXTENSION?: string;
  SLIPWAY_SOURCE_CA_FILE?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string;
  AWS_ENDPOINT_URL_S3?: string;
}

/**
 * Parses the remote-source variables.
 * @throws ConfigError naming the variable, the entry and what is wrong (never a secret's value).
 */
export function parseRemoteSources(env: RemoteSourcesEnv, cwd = process.cwd()): RemoteSources {
  const allowed = (env.SLIPWAY_REMOTE_SOURCES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = allowed.filter((entry) => !parseAllowEntry(entry));
  if (bad.length > 0) {
    throw new ConfigError(`SLIPWAY_REMOTE_SOURCES: ${bad.map((b) => `"${b}"`).join(', ')} not understood; expected s3://bucket, gs://bucket, https://host[:port] or http://host:port`);
  }
  const secrets = [...namedSecrets(env.SLIPWAY_SOURCE_SECRETS), ...awsEnvSecret(env)];
  const settings: RemoteSources = {
    allowed: Object.freeze(allowed),
    secrets: Object.freeze(secrets),
    extensionFile: path.resolve(cwd, env.SLIPWAY_HTTPFS_EXTENSION ?? DEFAULT_HTTPFS_EXTENSION),
    ...(env.SLIPWAY_SOURCE_CA_FILE ? { caFile: path.resolve(cwd, env.SLIPWAY_SOURCE_CA_FILE) } : {}),
  };
  Object.defineProperty(settings, 'secrets', { value: settings.secrets, enumerable: false });
  return Object.freeze(settings);
}

function namedSecrets(json: string | undefined): SourceSecret[] {
  if (!json) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    // The parser's message may quote the text, which holds secrets: say where, not what.
    throw new ConfigError('SLIPWAY_SOURCE_SECRETS: not valid JSON; expected {"<name>": {"type": "s3", "scope": "s3://bucket", "keyId": ..., "secret": ...}}');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('SLIPWAY_SOURCE_SECRETS: expected an object of named entries');
  }
  return Object.entries(raw).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ConfigError(`SLIPWAY_SOURCE_SECRETS: entry name "${name}" must be letters, digits and _`);
    const parsed = secretSchema.safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`);
      throw new ConfigError(`SLIPWAY_SOURCE_SECRETS.${name}: ${problems.join('; ')}`);
    }
    if (!parseAllowEntry(parsed.data.scope)) throw new ConfigError(`SLIPWAY_SOURCE_SECRETS.${name}.scope: "${parsed.data.scope}" is not an s3://, gs:// or http(s):// prefix`);
    return { name, ...parsed.data };
  });
}

/** The standard AWS variables as an s3 secret for every bucket (named entries with a narrower scope win). */
function awsEnvSecret(env: RemoteSourcesEnv): SourceSecret[] {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return [];
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const url = endpoint ? /^(https?):\/\/([^/]+)/.exec(endpoint) : undefined;
  if (endpoint && !url) throw new ConfigError(`AWS_ENDPOINT_URL: "${endpoint}" is not an http(s):// URL`);
  return [
    {
      name: 'aws_env',
      type: 's3',
      scope: 's3://',
      keyId: env.AWS_ACCESS_KEY_ID,
      secret: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      ...(url ? { endpoint: url[2], useSsl: url[1] === 'https', urlStyle: 'path' as const } : {}),
    },
  ];
}
