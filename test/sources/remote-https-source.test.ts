/**
 * https:// sources against a real local HTTPS server whose certificate comes from a CA made in the
 * test (trusted through SLIPWAY_SOURCE_CA_FILE): the real ingest over DuckDB's httpfs produces the
 * same snapshots as the same file read locally; the step cache keys on the object's ETag; and every
 * refusal (host not allowed, plain http, credentials in the spec, a tampered extension, an
 * untrusted certificate) happens with nothing stored and, where the rule allows, nothing fetched.
 */
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSnapshot } from '../../src/activities/ingest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { createSourceFingerprint } from '../../src/cache/source-fingerprint';
import { Uncacheable } from '../../src/cache/uncacheable';
import { SOURCE_LIMIT_DEFAULTS, type DataRoots } from '../../src/data/data-roots';
import { parseRemoteSources, type RemoteSourcesEnv } from '../../src/data/remote-sources-config';
import { DataSourceError } from '../../src/errors';
import { ingestParamsSchema } from '../../src/pipeline/step-params';
import type { StepRequest } from '../../src/pipeline/types';
import { ingestParams, writeFlights } from '../validation/flight-files';
import { installHttpfs } from '../helpers/duckdb-extensions';
import { startTlsFileServer, type TlsFileServer } from './support/tls-file-server';

describe('https:// sources through DuckDB httpfs', () => {
  let dir: string;
  let server: TlsFileServer;
  let local: string;
  let store: LocalArtifactStore;

  const roots = (env: RemoteSourcesEnv = {}): DataRoots => ({
    roots: [dir],
    ...SOURCE_LIMIT_DEFAULTS,
    remote: parseRemoteSources({ SLIPWAY_REMOTE_SOURCES: server.origin, SLIPWAY_SOURCE_CA_FILE: server.caFile, ...env }),
  });
  const ingest = (source: string, dataRoots = roots(), id = 'ingest') =>
    ingestSnapshot({ store, duckdbThreads: 1, dataRoots }, ingestParamsSchema.parse(ingestParams(source)), id);
  const failure = (p: Promise<unknown>) => p.then(() => expect.fail('expected a refusal'), (e: unknown) => e as DataSourceError);
  const storedFiles = async () => (await readdir(path.join(dir, 'store'), { recursive: true }).catch(() => [])).filter((f) => String(f).includes('sha256')).length;

  beforeAll(async () => {
    installHttpfs();
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-https-source-'));
    server = await startTlsFileServer(dir);
    local = await writeFlights(path.join(dir, 'flights.parquet'));
    server.put('/data/flights.parquet', await readFile(local));
    server.put('/data/forbidden.parquet', Buffer.from('<Error>SECRET-BODY-7f3a: internal bucket layout</Error>'), 403);
    store = new LocalArtifactStore({ root: path.join(dir, 'store') });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('ingests a Parquet file over HTTPS into the same snapshots as the local copy', async () => {
    const remote = await ingest(`${server.origin}/data/flights.parquet`, roots(), 'remote');
    const same = await ingest(local, roots(), 'local');
    expect(remote.summary.trainRows).toBeGreaterThan(10_000);
    expect(remote.summary.trainRows).toBe(same.summary.trainRows);
    expect(remote.summary.holdoutRows).toBe(same.summary.holdoutRows);
    expect(remote.summary.dataDigest).toBe(same.summary.dataDigest);
    expect(remote.summary.source).toBe(`${server.origin}/data/flights.parquet`);
    // httpfs reads ranges of the object (Parquet footer, then row groups), not a whole download per query.
    expect(server.requests.some((r) => r.startsWith('GET /data/flights.parquet'))).toBe(true);
  });

  it('keys the step cache on the object\'s ETag with one HEAD, and a changed object is a miss', async () => {
    const fingerprint = createSourceFingerprint(roots());
    const params = { source: { path: `${server.origin}/data/flights.parquet` } };
    const seen = server.requests.length;
    const first = await fingerprint({} as StepRequest, params);
    expect(server.requests.slice(seen)).toEqual(['HEAD /data/flights.parquet']);
    expect(await fingerprint({} as StepRequest, params)).toEqual(first);
    expect(JSON.stringify(first)).toMatch(/"etag":"\\"[0-9a-f]{32}\\""/);
    server.put('/data/flights.parquet', await readFile(await writeFlights(path.join(dir, 'other.parquet'), 'outliers')));
    expect(await fingerprint({} as StepRequest, params)).not.toEqual(first);
    server.put('/data/flights.parquet', await readFile(local));
    expect(await fingerprint({} as StepRequest, params)).toEqual(first);
  });

  it.each([
    ['a host not on the allow-list', () => `https://localhost:${new URL(server.origin).port}/data/flights.parquet`, /https:\/\/localhost:\d+ is not an allowed remote source \(allowed: https:\/\/127\.0\.0\.1:\d+\)/],
    ['plain http to an allowed host', () => `http://127.0.0.1:${new URL(server.origin).port}/data/flights.parquet`, /Plain http:\/\/ is refused unless an admin lists the http:\/\/ host itself/],
  ])('refuses %s before any request, storing nothing', async (_name, url, message) => {
    const [seen, stored] = [server.requests.length, await storedFiles()];
    const err = await failure(ingest(url()));
    expect(err).toBeInstanceOf(DataSourceError);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/SLIPWAY_REMOTE_SOURCES/);
    expect(server.requests.length).toBe(seen);
    expect(await storedFiles()).toBe(stored);
    // The fingerprint refuses the same way: the step runs (and fails) uncached, having fetched nothing.
    expect(await createSourceFingerprint(roots())({} as StepRequest, { source: { path: url() } })).toBeInstanceOf(Uncacheable);
    expect(server.requests.length).toBe(seen);
  });

  it.each([
    ['a key field', { path: 'https://127.0.0.1/data/flights.parquet', secretAccessKey: 'wJalrXUtnFEMI' }, 'source.secretAccessKey'],
    ['a password in the URL', { path: 'https://reader:hunter2@127.0.0.1/data/flights.parquet' }, 'source.path'],
    ['a pre-signed URL', { path: 'https://127.0.0.1/data/flights.parquet?X-Amz-Credential=AKIA&X-Amz-Signature=0abc' }, 'source.path'],
  ])('refuses a spec carrying credentials (%s), naming the field', (_name, source, field) => {
    const parsed = ingestParamsSchema.safeParse({ ...ingestParams('x'), source });
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues.find((i) => i.path.join('.') === field);
    expect(issue?.message).toMatch(/credentials never go in the spec; ask an admin to set them on the worker/);
  });

  it('names the HTTP status of a refused read and never echoes the server\'s error body', async () => {
    const stored = await storedFiles();
    const err = await failure(ingest(`${server.origin}/data/forbidden.parquet`));
    expect(err).toBeInstanceOf(DataSourceError);
    expect(err.message).toMatch(/cannot read "https:\/\/127\.0\.0\.1:\d+\/data\/forbidden\.parquet": HTTP 403: access denied/);
    expect(JSON.stringify({ m: err.message, d: err.details, c: String(err.cause ?? '') })).not.toContain('SECRET-BODY');
    expect(await storedFiles()).toBe(stored);
  });

  it('fails a server error as transient (retried by Temporal), naming the status and not the body', async () => {
    server.put('/data/busy.parquet', Buffer.from('SECRET-BODY-busy'), 503);
    const err = await failure(ingest(`${server.origin}/data/busy.parquet`));
    expect(err).not.toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toMatch(/cannot read "https:\/\/127\.0\.0\.1:\d+\/data\/busy\.parquet" now: HTTP 503; will retry/);
    expect((err as Error).message).not.toContain('SECRET-BODY');
  });

  it('does not trust the server without its CA', async () => {
    const noCa = { roots: [dir], ...SOURCE_LIMIT_DEFAULTS, remote: parseRemoteSources({ SLIPWAY_REMOTE_SOURCES: server.origin }) };
    const err = await failure(ingest(`${server.origin}/data/flights.parquet`, noCa));
    expect(err.message).toMatch(/TLS certificate is not trusted; an admin can add its CA to SLIPWAY_SOURCE_CA_FILE/);
  });

  it('refuses an httpfs extension whose sha256 differs from the pin, before loading it or fetching anything', async () => {
    const tampered = path.join(dir, 'httpfs.duckdb_extension');
    await copyFile(parseRemoteSources({}).extensionFile, tampered);
    const bytes = await readFile(tampered);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(tampered, bytes);
    const seen = server.requests.length;
    const err = await failure(ingest(`${server.origin}/data/flights.parquet`, roots({ SLIPWAY_HTTPFS_EXTENSION: tampered })));
    expect(err.message).toMatch(/the httpfs extension at .* has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}; refusing to load it/);
    expect(server.requests.length).toBe(seen);
  });
});
