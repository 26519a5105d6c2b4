/**
 * Remote source locations (`s3://bucket/key`, `gs://bucket/key`, `https://host/path`, and plain
 * `http://` only where an admin allows it): parsing, the credential check every spec gets, and the
 * allow-list check the worker makes before anything is fetched. Pure (no Node built-ins), so the
 * spec schema may use it wherever it is parsed.
 */

export type RemoteScheme = 's3' | 'gs' | 'https' | 'http';

/** A parsed remote location: `authority` is the bucket (s3, gs) or `host[:port]` (http, https). */
export interface RemoteUrl {
  scheme: RemoteScheme;
  authority: string;
  /** Everything after the authority, starting with `/` (may be just `/`). */
  path: string;
}

const REMOTE = /^(s3|gs|gcs|https?):\/\/([^/?#]*)([^?#]*)([?#].*)?$/i;

/** True when `spec` names a remote location (any of the schemes above, in any letter case). */
export function isRemoteSource(spec: string): boolean {
  return /^(s3|gs|gcs|https?):\/\//i.test(spec);
}

/** The parts of a remote `spec`; undefined for a local path or a `package:` source. */
export function parseRemoteUrl(spec: string): RemoteUrl | undefined {
  const match = REMOTE.exec(spec);
  if (!match) return undefined;
  const scheme = match[1].toLowerCase();
  return {
    // DuckDB reads gcs:// as gs://; one spelling keeps allow-lists and fingerprints simple.
    scheme: (scheme === 'gcs' ? 'gs' : scheme) as RemoteScheme,
    authority: match[2].toLowerCase(),
    path: match[3] || '/',
  };
}

/** Query parameters that make a URL a credential (pre-signed S3 and GCS URLs, SAS-like tokens). */
const SIGNED_QUERY = /[?&](x-amz-(signature|credential|security-token)|x-goog-(signature|credential)|signature|awsaccesskeyid|googleaccessid|sig|token|access_token|key)=/i;

/** What the refusal of a credential in a spec tells the user to do instead. */
export const CREDENTIALS_HINT = 'credentials never go in the spec; ask an admin to set them on the worker (AWS_* variables or a named entry in SLIPWAY_SOURCE_SECRETS)';

/**
 * Why `spec` carries credentials, or undefined (the message leaves the field name to the caller).
 * Credentials never go in a spec: a spec is stored in run history, shown in the console and
 * copied into step records.
 */
export function credentialInSourceProblem(spec: string): string | undefined {
  if (!isRemoteSource(spec)) return undefined;
  const url = REMOTE.exec(spec);
  if (url?.[2].includes('@')) {
    return `the URL carries a user name or password; ${CREDENTIALS_HINT}`;
  }
  if (url?.[4] !== undefined && SIGNED_QUERY.test(url[4])) {
    return `the URL carries a signature or token in its query (a pre-signed URL is a credential); ${CREDENTIALS_HINT}`;
  }
  if (!url) return `"${spec}" is not a URL Slipway can read; expected s3://bucket/key, gs://bucket/key or https://host/path`;
  return undefined;
}

/**
 * Parses an allow-list entry of SLIPWAY_REMOTE_SOURCES: `s3://bucket`, `gs://bucket`,
 * `https://host[:port]`, `http://host:port` (plain HTTP only when listed with its scheme), each
 * optionally followed by a key prefix (`s3://bucket/shared/`).
 */
export function parseAllowEntry(entry: string): RemoteUrl | undefined {
  const parsed = parseRemoteUrl(entry.trim());
  if (!parsed || parsed.authority === '' || parsed.authority.includes('@')) return undefined;
  return parsed;
}

/**
 * Why the worker may not read `spec`, judged on the URL alone (nothing is fetched), or undefined.
 * The scheme, bucket or host must match an entry exactly; the entry's path, if any, is a prefix.
 */
export function remoteSourceProblem(spec: string, allowed: readonly string[]): string | undefined {
  const credential = credentialInSourceProblem(spec);
  if (credential) return `source.path: ${credential}`;
  const url = parseRemoteUrl(spec)!;
  if (url.authority === '') return `source.path: "${spec}" names no ${url.scheme === 's3' || url.scheme === 'gs' ? 'bucket' : 'host'}`;
  if (/(^|\/)\.\.(\/|$)/.test(url.path)) return `source.path: "${spec}" contains a ".." segment; name the object directly`;
  const ok = allowed.some((entry) => {
    const allow = parseAllowEntry(entry);
    if (!allow || allow.scheme !== url.scheme || allow.authority !== url.authority) return false;
    return allow.path === '/' || url.path.startsWith(allow.path);
  });
  if (ok) return undefined;
  const listed = allowed.length === 0 ? 'none are allowed' : `allowed: ${allowed.join(', ')}`;
  const plain = url.scheme === 'http' ? ' Plain http:// is refused unless an admin lists the http:// host itself; prefer https://.' : '';
  return `source.path: ${url.scheme}://${url.authority} is not an allowed remote source (${listed}).${plain} Ask an admin to add it to SLIPWAY_REMOTE_SOURCES`;
}
