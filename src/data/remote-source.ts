/**
 * Reading a remote source through DuckDB's httpfs: the allow-list check (before any request), the
 * pinned extension, the worker's credentials as DuckDB secrets, bounded glob listing for buckets,
 * validators (ETag, Last-Modified) for the step cache, and errors that name the URL and the HTTP
 * status but never echo what the server sent.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataSourceError } from '../errors';
import { queryRows, sqlString } from './duckdb';
import { loadHttpfs } from './httpfs-extension';
import type { RemoteSources, SourceSecret } from './remote-sources-config';
import { parseRemoteUrl, remoteSourceProblem } from './remote-url';

const GLOB_CHARS = /[*?[]/;

/**
 * Refuses `spec` unless its bucket or host is allowed (nothing is fetched to decide).
 * @throws DataSourceError naming the field, the bucket or host and the allow-list.
 */
export function requireAllowedRemote(spec: string, remote: RemoteSources | undefined): void {
  const problem = remoteSourceProblem(spec, remote?.allowed ?? []);
  if (problem) throw new DataSourceError(problem, { details: { file: spec, reason: 'remote-not-allowed' } });
}

/** Loads httpfs into `conn`, trusts the configured CA bundle, and creates the worker's secrets. */
export async function prepareRemote(conn: DuckDBConnection, remote: RemoteSources): Promise<void> {
  await loadHttpfs(conn, remote.extensionFile);
  // The log is where a failed request's status is (DuckDB's error text may say "HTTP 0"), and a HEAD's ETag.
  await conn.run(`CALL enable_logging('HTTP')`);
  if (remote.caFile) await conn.run(`SET ca_cert_file = ${sqlString(remote.caFile)}`);
  for (const secret of remote.secrets) await conn.run(createSecretSql(secret));
}

/** A TEMPORARY secret: it lives only in this in-memory session, never in a file DuckDB persists. */
export function createSecretSql(s: SourceSecret): string {
  const opts: string[] = [`TYPE ${s.type}`, `SCOPE ${sqlString(s.scope)}`];
  const add = (key: string, value: string | boolean | undefined) => {
    if (value !== undefined) opts.push(`${key} ${typeof value === 'boolean' ? String(value) : sqlString(value)}`);
  };
  add('KEY_ID', s.keyId);
  add('SECRET', s.secret);
  add('SESSION_TOKEN', s.sessionToken);
  add('REGION', s.region);
  add('ENDPOINT', s.endpoint);
  add('URL_STYLE', s.urlStyle);
  add('USE_SSL', s.useSsl);
  add('BEARER_TOKEN', s.bearerToken);
  return `CREATE OR REPLACE TEMPORARY SECRET ${s.name} (${opts.join(', ')})`;
}

/**
 * The objects `spec` names: itself, or for a bucket glob the matching keys in name order (DuckDB
 * lists the bucket under the glob's prefix), at most `maxFiles`, each with its path below the
 * glob's base (hive partitions are data).
 */
export async function listRemote(conn: DuckDBConnection, spec: string, maxFiles: number): Promise<{ files: string[]; relative: string[] }> {
  const url = parseRemoteUrl(spec)!;
  const glob = spec.search(GLOB_CHARS);
  if (glob < 0) return { files: [spec], relative: [spec.slice(spec.lastIndexOf('/') + 1)] };
  if (url.scheme !== 's3' && url.scheme !== 'gs') {
    throw new DataSourceError(`source.path: "${spec}": an ${url.scheme}:// server cannot be listed, so globs work only on s3:// and gs://; name the file`, { details: { file: spec } });
  }
  const rows = await queryRows(conn, `SELECT file FROM glob(${sqlString(spec)}) ORDER BY file LIMIT ${maxFiles + 1}`);
  if (rows.length === 0) throw new DataSourceError(`source.path: no object matches "${spec}"`, { details: { file: spec } });
  if (rows.length > maxFiles) {
    throw new DataSourceError(`source.path: "${spec}" matches more than ${maxFiles} objects (limit SLIPWAY_SOURCE_MAX_FILES); narrow the glob`, { details: { file: spec, limit: 'maxFiles' } });
  }
  const base = spec.slice(0, spec.lastIndexOf('/', glob) + 1);
  const files = rows.map((r) => String(r.file));
  return { files, relative: files.map((f) => (f.startsWith(base) ? f.slice(base.length) : f)) };
}

/** What identifies one version of an object: its validators, or its size and time when it has none. */
export interface RemoteVersion {
  etag?: string;
  lastModified?: string;
  size: number;
}

/**
 * One HEAD per object (read_blob without its content), with the response headers taken from
 * DuckDB's HTTP log: ETag is what S3, GCS and most HTTP servers change when the bytes change.
 */
export async function remoteVersions(conn: DuckDBConnection, files: readonly string[]): Promise<RemoteVersion[]> {
  const versions: RemoteVersion[] = [];
  for (const file of files) {
    await conn.run('CALL truncate_duckdb_logs()');
    const [row] = await queryRows(conn, `SELECT size, CAST(last_modified AS VARCHAR) AS last_modified FROM read_blob(${sqlString(file)})`);
    const heads = await queryRows(
      conn,
      `SELECT CAST(response.headers AS JSON)::VARCHAR AS headers FROM duckdb_logs_parsed('HTTP') WHERE request.type = 'HEAD' ORDER BY timestamp DESC LIMIT 1`,
    );
    const headers = parseHeaders(heads[0]?.headers);
    versions.push({
      size: Number(row.size),
      ...(headers.etag ? { etag: headers.etag } : {}),
      ...(headers['last-modified'] ? { lastModified: headers['last-modified'] } : row.last_modified ? { lastModified: String(row.last_modified) } : {}),
    });
  }
  return versions;
}

/** DuckDB's map of headers as JSON: `{"key": "value"}` or `[{"key": k, "value": v}]`, keys lower-cased. */
function parseHeaders(json: unknown): Record<string, string> {
  if (typeof json !== 'string') return {};
  const value: unknown = JSON.parse(json);
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((e: { key: string; value: unknown }) => [e.key, e.value])
    : Object.entries(value as Record<string, unknown>);
  return Object.fromEntries(entries.map(([k, v]) => [k.toLowerCase(), String(v)]));
}

/** True when DuckDB's error is about the request (HTTP, TLS, network), not the bytes it read. */
export function isRemoteAccessError(err: unknown): boolean {
  return /HTTP|SSL|TLS|certificate|could not connect|connection|resolve host|timed? ?out/i.test(String((err as Error)?.message ?? err));
}

/** The status of the last failed request in the session's HTTP log (`Forbidden_403` → 403), if any. */
export async function lastFailedStatus(conn: DuckDBConnection): Promise<number | undefined> {
  const rows = await queryRows(
    conn,
    `SELECT CAST(response.status AS VARCHAR) AS status FROM duckdb_logs_parsed('HTTP') WHERE response.status IS NOT NULL ORDER BY timestamp DESC LIMIT 20`,
  ).catch(() => []);
  const codes = rows.map((r) => Number(/(\d{3})$/.exec(String(r.status))?.[1])).filter((c) => c >= 400);
  return codes[0];
}

/**
 * A failed remote read as a DataSourceError that names the URL and the kind of failure (HTTP
 * status, TLS trust, connection) and nothing the server sent: an error body is outside the data
 * roots, and step errors are shown to every viewer. A server error (5xx, 429) or an unreachable server
 * is transient: a plain Error, which Temporal retries with the step's policy.
 */
export function remoteReadError(spec: string, err: unknown, logged?: number): Error {
  const text = String((err as Error)?.message ?? err);
  const status = logged !== undefined ? String(logged) : /\b(?:HTTP|status(?: code)?)[ :]*([1-5]\d\d)\b/i.exec(text)?.[1];
  let why: string;
  if (/certificate|SSL|TLS/i.test(text)) why = 'the server\'s TLS certificate is not trusted; an admin can add its CA to SLIPWAY_SOURCE_CA_FILE';
  else if (status === '403' || status === '401') why = `HTTP ${status}: access denied; check the worker's credentials for it (AWS_* or SLIPWAY_SOURCE_SECRETS)`;
  else if (status === '404') why = 'HTTP 404: no such object';
  else if (status && (status === '429' || status.startsWith('5'))) return new Error(`source.path: cannot read "${spec}" now: HTTP ${status}; will retry`);
  else if (status) why = `HTTP ${status}`;
  else if (/could not connect|connection refused|resolve|timed? ?out|Could not establish/i.test(text)) return new Error(`source.path: cannot read "${spec}" now: the server could not be reached; will retry`);
  else why = 'the request failed';
  // No `cause`: the failure's cause chain travels to clients, and DuckDB's text may quote the body.
  return new DataSourceError(`source.path: cannot read "${spec}": ${why}`, { details: { file: spec, ...(status ? { status: Number(status) } : {}) } });
}
