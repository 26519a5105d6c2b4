/**
 * The cache input of an ingest step: the sha256 of every source file it would read. Content,
 * not names or mtimes, so the key is the same on every machine and a touched but unchanged file
 * still hits; repeated keying on one worker costs a `stat` per file (see file-digests.ts).
 */
import { confineSource, type DataRoots } from '../data/data-roots';
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
