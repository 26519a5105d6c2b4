/**
 * sha256 of files outside the artifact store (data sources, trainer scripts), remembered while
 * a file's device, inode, size, mtime and ctime are unchanged, so keying a step again on the
 * same worker costs one `stat` per file instead of a read.
 */
import { stat } from 'node:fs/promises';
import { sha256OfFile } from '../artifacts/file-hashing';
import { VerifiedDigestCache } from '../artifacts/verified-digest-cache';

export type FileDigests = (file: string) => Promise<string | undefined>;

/** Returns a digest function; it yields `undefined` for a path that is missing or not a regular file. */
export function createFileDigests(maxRemembered = 10_000): FileDigests {
  const remembered = new VerifiedDigestCache(maxRemembered);
  return async (file) => {
    let stats;
    try {
      stats = await stat(file, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
    if (!stats.isFile()) return undefined;
    const known = remembered.get(file, stats);
    if (known) return known;
    const { sha256 } = await sha256OfFile(file);
    // Remembered against the stats taken before hashing: a write during the hash changes ctime, so it is not reused.
    remembered.set(file, stats, sha256);
    return sha256;
  };
}
