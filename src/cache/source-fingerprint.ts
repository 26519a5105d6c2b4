/**
 * The cache input of an ingest step: the sha256 of every source file it would read. Content,
 * not names or mtimes, so the key is the same on every machine and a touched but unchanged file
 * still hits; repeated keying on one worker costs a `stat` per file (see file-digests.ts).
 * A remote object is keyed by its URL and validators instead (ETag, else Last-Modified and size,
 * else a digest of its bytes when small): one HEAD per object rather than a download.
 */
import { confineSource, type DataRoots } from '../data/data-roots';
import { queryRows, sqlString } from '../data/duckdb';
import { withSourceSession } from '../data/open-source';
import { remoteVersions } from '../data/remote-source';
import { isRemoteSource } from '../data/remote-url';
import { detectFormat, resolveSourcePath, type SourceFormat } from '../data/source-path';
import { isSlipwayError } from '../errors';
import type { StepRequest } from '../pipeline/types';
import { createFileDigests, type FileDigests } from './file-digests';
import { Uncacheable } from './uncacheable';

/**
 * @param dataRoots the ingest's own confinement: the fingerprint reads (hashes) exactly the files
 *   the ingest would, so a source outside the roots is never opened here either.
 */
export function createSourceFingerprint(dataRoots: DataRoots, digest: FileDigests = createFileDigests()) {
  return async function sourceFingerprint(_req: StepRequest, params: unknown): Promise<unknown> {
    const source = (params as { source?: { path?: unknown; format?: unknown } }).source;
    if (typeof source?.path !== 'string') return new Uncacheable('the ingest source has no local path to fingerprint');
    // Logged traffic grows while a window lasts: the same spec reads different rows each time.
    if ((source as { served?: unknown }).served !== undefined) return new Uncacheable('a served source (logged traffic) changes over time');
    let format: SourceFormat;
    let files: { files: string[]; relative: string[] };
    try {
      format = detectFormat(resolveSourcePath(source.path), (source.format ?? 'auto') as 'auto' | SourceFormat);
      if (isRemoteSource(source.path)) {
        const remote = await remoteFingerprint(source.path, dataRoots);
        return remote instanceof Uncacheable ? remote : { format, remote };
      }
      files = await confineSource(source.path, dataRoots);
    } catch (err) {
      // The ingest itself reports the problem, with its own message.
      if (isSlipwayError(err)) return new Uncacheable(err.message);
      throw err;
    }
    // Inside a glob, where a file sits can be data (hive partitions such as year=2001/), so relative paths count.
    const isGlob = /[*?[]/.test(source.path);
    const entries: Array<[string, string] | string> = [];
    for (const [i, file] of files.files.entries()) {
      const sha256 = await digest(file);
      if (!sha256) return new Uncacheable(`source ${file} vanished while it was fingerprinted`);
      entries.push(isGlob ? [files.relative[i], sha256] : sha256);
    }
    return { format, files: entries };
  };
}

/** Objects without an ETag or Last-Modified are digested when at most this big; larger ones are not cached. */
const MAX_DIGESTED_BYTES = 64 * 1024 * 1024;

async function remoteFingerprint(spec: string, dataRoots: DataRoots): Promise<unknown> {
  return withSourceSession(spec, dataRoots, { threads: 1 }, async (conn, source) => {
    const versions = await remoteVersions(conn, source.files);
    const entries: unknown[] = [];
    for (const [i, v] of versions.entries()) {
      const at = source.relative[i];
      if (v.etag) entries.push([at, { etag: v.etag, size: v.size }]);
      else if (v.lastModified) entries.push([at, { lastModified: v.lastModified, size: v.size }]);
      else if (v.size <= MAX_DIGESTED_BYTES) {
        const [row] = await queryRows(conn, `SELECT sha256(content) AS sha256 FROM read_blob(${sqlString(source.files[i])})`);
        entries.push([at, { sha256: String(row.sha256) }]);
      } else return new Uncacheable(`${source.files[i]} has no ETag or Last-Modified and is too large to digest (${v.size} bytes)`);
    }
    // The URL itself counts: the same bytes at another address are another source.
    return { url: spec, objects: entries };
  });
}
