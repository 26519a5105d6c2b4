import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStepCache } from './file-step-cache';
import type { CacheEntry } from './step-cache';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const entry = (key: string, n: number): CacheEntry => ({
  key,
  kind: 'train',
  output: { artifacts: {}, summary: { n } },
  producedBy: { workflowId: 'wf', runId: 'run', stepId: 'train', at: '2001-03-01T00:00:00.000Z' },
});

describe('FileStepCache', () => {
  it('returns what was stored under a key, the latest write winning', async () => {
    const cache = new FileStepCache(dir);
    const key = 'a'.repeat(64);
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(entry(key, 1));
    await Promise.all([cache.put(entry(key, 2)), cache.put(entry(key, 2))]);
    expect(await cache.get(key)).toEqual(entry(key, 2));
  });

  it('refuses anything but a hex digest as a key, so a key never becomes a path', async () => {
    const cache = new FileStepCache(dir);
    await expect(cache.get('../../etc/passwd')).rejects.toThrow(/not a cache key/);
  });
});
