/**
 * Removes what crashed processes left in an artifact root: scratch folders (a trainer's or an
 * ingest's work files) and partial writes. Each carries its owner's host and pid in its name
 * (see {@link ownerTag}); an entry is removed only when its owner ran on this host and is gone,
 * so workers sharing the root from other machines, or still running here, keep theirs.
 * Called once at worker start (src/worker.ts).
 */
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';

/** `@<host>.<pid>`: the owner of a scratch folder or partial write, in its name. */
export function ownerTag(hostname = os.hostname(), pid = process.pid): string {
  return `@${hostLabel(hostname)}.${pid}`;
}

const hostLabel = (hostname: string): string => hostname.replace(/[^A-Za-z0-9.-]/g, '-');

const OWNER = /@([A-Za-z0-9.-]+)\.(\d+)(?:-[^@/]*|\.partial)$/;

export interface SweepOptions {
  /** @default os.hostname() */
  hostname?: string;
  /** @default whether `process.kill(pid, 0)` finds the process */
  isAlive?: (pid: number) => boolean;
}

/** Removes orphans under `<root>/scratch` and `<root>/tmp`; answers the paths it removed. */
export async function sweepOrphans(root: string, options: SweepOptions = {}): Promise<string[]> {
  const host = hostLabel(options.hostname ?? os.hostname());
  const isAlive = options.isAlive ?? processExists;
  const removed: string[] = [];
  for (const folder of ['scratch', 'tmp']) {
    const names = await readdir(join(root, folder)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const name of names) {
      const owner = OWNER.exec(name);
      if (!owner || owner[1] !== host || isAlive(Number(owner[2]))) continue;
      const path = join(root, folder, name);
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
