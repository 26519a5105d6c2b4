/**
 * The cache input of an ingest step: the sha256 of every source file it would read. Content,
 * not names or mtimes, so the key is the same on every machine and a touched but unchanged file
 * still hits; repeated keying on one worker costs a `stat` per file (see file-digests.ts).
 */
import path from 'node:path';
import { queryRows, sqlString, withDuckDb } from '../data/duckdb';
import { detectFormat, resolveSourcePath, type SourceFormat } from '../data/source-path';
import { isSlipwayError } from '../errors';
import type { StepRequest } from '../pipeline/types';
import { createFileDigests, type FileDigests } from './file-digests';
import { Uncacheable } from './uncacheable';

const GLOB_CHARS = /[*?[]/;

export function createSourceFingerprint(digest: FileDigests = createFileDigests()) {
  return async function sourceFingerprint(_req: StepRequest, params: unknown): Promise<unknown> {
    const source = (params as { source?: { path?: unknown; format?: unknown } }).source;
    if (typeof source?.path !== 'string') return new Uncacheable('the ingest source has no local path to fingerprint');
    let resolved: string;
    let format: SourceFormat;
    try {
      resolved = resolveSourcePath(source.path);
      format = detectFormat(resolved, (source.format ?? 'auto') as 'auto' | SourceFormat);
    } catch (err) {
      // The ingest itself reports the problem, with its own message.
      if (isSlipwayError(err)) return new Uncacheable(err.message);
      throw err;
    }
    if (!GLOB_CHARS.test(resolved)) {
      const sha256 = await digest(resolved);
      return sha256 ? { format, files: [sha256] } : new Uncacheable(`source ${resolved} is not a readable file`);
    }
    // Inside a glob, where a file sits can be data (hive partitions such as year=2001/), so relative paths count.
    const base = path.dirname(`${resolved.slice(0, resolved.search(GLOB_CHARS))}x`);
    const files = (await listGlob(resolved)).sort();
    if (files.length === 0) return new Uncacheable(`no files match ${resolved}`);
    const entries: Array<[string, string]> = [];
    for (const file of files) {
      const sha256 = await digest(file);
      if (!sha256) return new Uncacheable(`source ${file} vanished while it was fingerprinted`);
      entries.push([path.relative(base, file), sha256]);
    }
    return { format, files: entries };
  };
}

/** Expands a glob exactly as DuckDB's readers will. */
async function listGlob(pattern: string): Promise<string[]> {
  return withDuckDb({ threads: 1 }, async (conn) =>
    (await queryRows(conn, `SELECT file FROM glob(${sqlString(pattern)})`)).map((r) => String(r.file)),
  );
}
