/**
 * DuckDB's httpfs extension, loaded from a local file whose SHA-256 is pinned here and checked
 * before every LOAD. Extensions cannot be downloaded where Slipway runs, and PyPI's build
 * (duckdb-extension-httpfs 1.5.5, installed by scripts/duckdb-extensions.sh) is signed for DuckDB
 * 1.5.5 while @duckdb/node-api is 1.5.6: DuckDB then refuses it unless the instance allows
 * unsigned extensions and a metadata mismatch. The pin is what makes that safe: "unsigned" here
 * never means "unchecked". See src/data/ARCHITECTURE.md.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataSourceError } from '../errors';
import { sqlString } from './duckdb';

/** sha256 of duckdb_extension_httpfs-1.5.5 (linux x86_64)'s httpfs.duckdb_extension. */
export const HTTPFS_EXTENSION_SHA256 = '887c392b1e49128d11667c81e3698d8b00dfdeb456771acf66d05a0f74f7b7d8';

/**
 * DuckDB instance options for a session that loads the pinned extension: nothing is installed or
 * autoloaded from the internet, and the version mismatch is accepted only for the checked file.
 */
export const REMOTE_INSTANCE_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  allow_unsigned_extensions: 'true',
  allow_extensions_metadata_mismatch: 'true',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});

/** Verified files by path, size and mtime: hashing 21 MB on every activity would cost more than the read. */
const verified = new Map<string, string>();

/**
 * Checks `file` against the pinned SHA-256, then LOADs it into `conn`.
 * @throws DataSourceError when the file is missing or its digest differs (nothing is loaded).
 */
export async function loadHttpfs(conn: DuckDBConnection, file: string, expected = HTTPFS_EXTENSION_SHA256): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    throw new DataSourceError(
      `source.path: remote sources need DuckDB's httpfs extension at ${file} (SLIPWAY_HTTPFS_EXTENSION); run scripts/duckdb-extensions.sh on the worker`,
      { details: { reason: 'httpfs-missing' } },
    );
  }
  const stamp = `${info.size}:${info.mtimeMs}:${expected}`;
  if (verified.get(file) !== stamp) {
    const actual = await sha256File(file);
    if (actual !== expected) {
      throw new DataSourceError(
        `source.path: the httpfs extension at ${file} has sha256 ${actual}, not the pinned ${expected}; refusing to load it. Reinstall it with scripts/duckdb-extensions.sh`,
        { details: { reason: 'httpfs-digest', file } },
      );
    }
    verified.set(file, stamp);
  }
  await conn.run(`LOAD ${sqlString(file)}`);
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
