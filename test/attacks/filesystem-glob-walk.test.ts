/**
 * Attack: make the worker walk and hash the whole filesystem with a glob such as `/**\/*.csv`
 * (issue 13, item 5). The glob's fixed part must lie inside a data root, so that one is refused
 * before any directory is listed; inside a root, a glob is expanded by a bounded walk
 * (SLIPWAY_SOURCE_MAX_WALK entries) and may match at most SLIPWAY_SOURCE_MAX_FILES files.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/client/slipway-client';
import { ingestOnly } from './support/trust-input-sources';
import { startStack, type Stack } from './support/trust-input-stack';

describe('attack: a glob that walks the filesystem', () => {
  let s: Stack;
  let dir: string;
  let root: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-attack-glob-'));
    root = path.join(dir, 'sources');
    // 25 small partitions (more than the 20 files allowed), and 250 empty folders (more than the 200 entries a walk may visit).
    await mkdir(path.join(root, 'many'), { recursive: true });
    for (let i = 0; i < 25; i++) await writeFile(path.join(root, 'many', `part-${String(i).padStart(2, '0')}.csv`), 'date,delay\n2001-03-01,1\n');
    for (let i = 0; i < 250; i++) await mkdir(path.join(root, 'deep', `d${i}`), { recursive: true });
    s = await startStack({ workerEnv: { SLIPWAY_DATA_ROOTS: root, SLIPWAY_SOURCE_MAX_FILES: '20', SLIPWAY_SOURCE_MAX_WALK: '200' }, apiDataRoots: [root] });
  });
  afterAll(async () => {
    await s?.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('the API refuses /**/*.csv with 400 and starts nothing', async () => {
    const before = await s.snapshot();
    const input = { spec: ingestOnly('/**/*.csv', 'csv') };
    const res = await s.call('POST', '/v1/runs', { input, idempotencyKey: 'glob-root' });
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual([expect.stringMatching(/source\.path: "\/\*\*\/\*\.csv" leads outside the data roots/)]);
    expect(await s.noWorkflow(workflowIdFor(input, 'glob-root'))).toBe(true);
    expect(await s.snapshot()).toEqual(before);
  });

  it('through Temporal directly, the run fails at resolve, before any directory is listed', async () => {
    const before = await s.snapshot();
    const { failure, visible } = await s.mustFail({ spec: ingestOnly('/**/*.csv', 'csv') });
    expect(failure.type).toBe('InvalidPipelineInput');
    expect(visible).toMatch(/leads outside the data roots/);
    expect(await s.snapshot()).toEqual(before);
  });

  it('inside a root, a glob matching more files than allowed is refused, naming the limit', async () => {
    const before = await s.snapshot();
    const { failure, visible } = await s.mustFail({ spec: ingestOnly(path.join(root, 'many', '*.csv'), 'csv') });
    expect(failure.type).toBe('DataSourceError');
    expect(visible).toMatch(/matches more than 20 files \(limit SLIPWAY_SOURCE_MAX_FILES\); narrow the glob/);
    expect(await s.snapshot()).toEqual(before);
  });

  it('inside a root, a walk that visits more entries than allowed is stopped, naming the limit', async () => {
    const before = await s.snapshot();
    const { failure, visible } = await s.mustFail({ spec: ingestOnly(path.join(root, 'deep', '**', '*.csv'), 'csv') });
    expect(failure.type).toBe('DataSourceError');
    expect(visible).toMatch(/visits more than 200 files and folders \(limit SLIPWAY_SOURCE_MAX_WALK\); narrow the glob/);
    expect(await s.snapshot()).toEqual(before);
  });
});
