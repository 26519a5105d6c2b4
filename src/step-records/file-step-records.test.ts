import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStepRecords } from './file-step-records';

describe('FileStepRecords', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'slipway-step-records-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

  const output = { artifacts: { model: { uri: 'sha256:abc', kind: 'model' } }, summary: { rows: 3 } };

  it('answers undefined for a key never put, and the output once put', async () => {
    const records = new FileStepRecords(root);
    expect(await records.get('wf/run/train')).toBeUndefined();
    await records.put('wf/run/train', output as never);
    expect(await records.get('wf/run/train')).toEqual(output);
    expect(await records.get('wf/run/evaluate')).toBeUndefined();
  });

  it('leaves no temporary file behind', async () => {
    const records = new FileStepRecords(root);
    await records.put('wf/run/a', output as never);
    await records.put('wf/run/a', output as never);
    const shards = await readdir(root);
    const files = (await Promise.all(shards.map((s) => readdir(path.join(root, s))))).flat();
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files).toHaveLength(1);
  });

  it('still writes when its folder was removed after an earlier put', async () => {
    const records = new FileStepRecords(root);
    await records.put('wf/run/a', output as never);
    await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    await records.put('wf/run/a', output as never);
    expect(await records.get('wf/run/a')).toEqual(output);
  });
});
