/**
 * Remembers which files have already been hashed and what they hashed to, so verifying an
 * untouched 100 MB model a second time costs a `stat` instead of a full read.
 *
 * A file counts as untouched while its device, inode, size, mtime and ctime are unchanged.
 * ctime matters because `utimes` can put mtime back after an edit, but nothing can reset ctime.
 */
import type { BigIntStats } from 'node:fs';

interface Entry {
  identity: string;
  sha256: string;
}

export class VerifiedDigestCache {
  // Map keeps insertion order, which makes evicting the oldest entry O(1).
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  /** The digest recorded for `path` if the file still looks exactly as it did when hashed. */
  get(path: string, stats: BigIntStats): string | undefined {
    const entry = this.entries.get(path);
    return entry && entry.identity === identityOf(stats) ? entry.sha256 : undefined;
  }

  set(path: string, stats: BigIntStats, sha256: string): void {
    this.entries.delete(path);
    this.entries.set(path, { identity: identityOf(stats), sha256 });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

function identityOf(s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}
