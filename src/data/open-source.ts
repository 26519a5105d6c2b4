/**
 * One entry for every reader of a pipeline source (ingest, the retraining check, the step cache's
 * fingerprint): a local path is confined to the data roots before DuckDB starts; a remote URL is
 * checked against the allow-list before DuckDB starts, then read through the pinned httpfs
 * extension with the worker's credentials.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { confineSource, type DataRoots } from './data-roots';
import { withDuckDb, type DuckDbOptions } from './duckdb';
import { REMOTE_INSTANCE_OPTIONS } from './httpfs-extension';
import { DataSourceError } from '../errors';
import { isRemoteAccessError, lastFailedStatus, listRemote, prepareRemote, remoteReadError, requireAllowedRemote } from './remote-source';
import { isRemoteSource } from './remote-url';

/** The files a source reads: real local paths, or object URLs. */
export interface OpenedSource {
  files: string[];
  /** Each file's path below the glob's base (hive partitions are data). */
  relative: string[];
  remote: boolean;
}

/**
 * Runs `fn` in a fresh DuckDB session that may read `spec`'s files, and only after they passed
 * the data-root or allow-list check.
 * @throws DataSourceError when the source is outside the roots, not allowed, or names nothing.
 */
export async function withSourceSession<T>(
  spec: string,
  dataRoots: DataRoots,
  options: DuckDbOptions,
  fn: (conn: DuckDBConnection, source: OpenedSource) => Promise<T>,
): Promise<T> {
  if (!isRemoteSource(spec)) {
    const confined = await confineSource(spec, dataRoots);
    return withDuckDb(options, (conn) => fn(conn, { ...confined, remote: false }));
  }
  requireAllowedRemote(spec, dataRoots.remote);
  const remote = dataRoots.remote!;
  return withDuckDb({ ...options, instanceOptions: REMOTE_INSTANCE_OPTIONS }, async (conn) => {
    await prepareRemote(conn, remote);
    try {
      const listed = await listRemote(conn, spec, dataRoots.maxFiles);
      return await fn(conn, { ...listed, remote: true });
    } catch (err) {
      // A failed request, wherever it happened: name the URL and status, never DuckDB's text (it may quote the body).
      if (err instanceof DataSourceError || !isRemoteAccessError(err)) throw err;
      throw remoteReadError(spec, err, await lastFailedStatus(conn));
    }
  });
}
