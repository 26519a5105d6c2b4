/** {@link StepCache} as one JSON file per key in a local folder: `<root>/<ab>/<key>.json`. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CacheEntry, StepCache } from './step-cache';

const KEY_PATTERN = /^[0-9a-f]{64}$/;

export class FileStepCache implements StepCache {
  constructor(private readonly root: string) {}

  async get(key: string): Promise<CacheEntry | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.file(key), 'utf8')) as CacheEntry;
      return entry.key === key ? entry : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(entry: CacheEntry): Promise<void> {
    const file = this.file(entry.key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write-then-rename: concurrent readers see the old entry or the new one, never half of one.
    const tmp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, file);
  }

  private file(key: string): string {
    // Keys come from cacheKey(); anything else must not become a path.
    if (!KEY_PATTERN.test(key)) throw new TypeError(`not a cache key (64 lowercase hex digits): ${JSON.stringify(key)}`);
    return path.join(this.root, key.slice(0, 2), `${key}.json`);
  }
}
