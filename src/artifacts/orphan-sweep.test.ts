import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from './local-artifact-store';
import { ownerTag, sweepOrphans } from './orphan-sweep';

/** The pid of a process that has certainly ended. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

describe('sweepOrphans', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'slipway-sweep-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

  it('removes scratch folders and partial writes of processes on this host that are gone', async () => {
    const dead = deadPid();
    await mkdir(path.join(root, 'scratch', `train-train${ownerTag(os.hostname(), dead)}-Ab12Cd`, 'nested'), { recursive: true });
    await mkdir(path.join(root, 'tmp'), { recursive: true });
    await writeFile(path.join(root, 'tmp', `0b7e-uuid${ownerTag(os.hostname(), dead)}.partial`), 'half');

    const removed = await sweepOrphans(root);
    expect(removed.map((p) => path.relative(root, p)).sort()).toEqual([
      `scratch/train-train${ownerTag(os.hostname(), dead)}-Ab12Cd`,
      `tmp/0b7e-uuid${ownerTag(os.hostname(), dead)}.partial`,
    ]);
    expect(await readdir(path.join(root, 'scratch'))).toEqual([]);
  });

  it("keeps a live process's scratch, another host's, and folders without an owner", async () => {
    const store = new LocalArtifactStore({ root });
    const mine = await store.scratchDir('ingest-ingest');
    const dead = deadPid();
    const otherHost = `train${ownerTag('gpu-node-7', dead)}-Zz99Yy`;
    await mkdir(path.join(root, 'scratch', otherHost));
    await mkdir(path.join(root, 'scratch', 'legacy-AbCdEf'));

    expect(await sweepOrphans(root)).toEqual([]);
    expect((await readdir(path.join(root, 'scratch'))).sort()).toEqual([path.basename(mine), 'legacy-AbCdEf', otherHost].sort());
    // The same folder is an orphan once its owner is reported gone.
    expect(await sweepOrphans(root, { isAlive: () => false })).toEqual([mine]);
  });

  it('does nothing on a root that does not exist yet', async () => {
    expect(await sweepOrphans(path.join(root, 'never-made'))).toEqual([]);
  });
});
