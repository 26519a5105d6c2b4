/**
 * Attack: read any file the worker can read through `ingest.source.path` (issue 13, item 5).
 * Sources resolve only inside the data roots (SLIPWAY_DATA_ROOTS), symlinks resolved first; a
 * source outside is refused before anything there is opened, by the API (400, no run started)
 * and, for a run started through Temporal directly, by the worker, and no error ever shows a
 * byte of the file.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/client/slipway-client';
import { writeFlights } from '../validation/flight-files';
import { ingestOnly } from './support/trust-input-sources';
import { startStack, type Stack } from './support/trust-input-stack';

/** The first line of the file outside the roots: it must never appear anywhere a viewer looks. */
const SECRET_HEADER = 'date,delay,distance,origin,destination,AWS_SECRET_ACCESS_KEY_wJalrXUtnFEMI';

describe('attack: a source outside the data roots', () => {
  let s: Stack;
  let dir: string;
  let root: string;
  let secret: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-attack-roots-'));
    root = path.join(dir, 'sources');
    await mkdir(root);
    secret = path.join(dir, 'outside', 'credentials.csv');
    await mkdir(path.dirname(secret));
    await writeFile(secret, `${SECRET_HEADER}\n2001-03-01 10:00:00,1,100,ORD,JFK\n`);
    await symlink(secret, path.join(root, 'innocent.csv'));
    await writeFlights(path.join(root, 'flights.parquet'));
    s = await startStack({ workerEnv: { SLIPWAY_DATA_ROOTS: root }, apiDataRoots: [root] });
  });
  afterAll(async () => {
    await s?.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it.each([
    ['/etc/passwd', () => '/etc/passwd'],
    ['a file beside the data root', () => secret],
    ['a path climbing out of the root', () => path.join(root, '..', 'outside', 'credentials.csv')],
  ])('the API refuses %s with 400, starts nothing and records nothing', async (_name, source) => {
    const before = await s.snapshot();
    const input = { spec: ingestOnly(source(), 'csv') };
    const res = await s.call('POST', '/v1/runs', { input, idempotencyKey: `roots-${_name.length}` });
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual([expect.stringMatching(/^input\.spec\.steps\[0\]\.with\.source\.path: ".*" leads outside the data roots \(.*sources\); .*SLIPWAY_DATA_ROOTS/)]);
    expect(JSON.stringify(res.body)).not.toMatch(/root:x:0:0|AWS_SECRET/);
    expect(await s.noWorkflow(workflowIdFor(input, `roots-${_name.length}`))).toBe(true);
    expect(await s.snapshot()).toEqual(before);
  });

  it('a run started through Temporal directly fails at resolve, naming the rule, without reading the file', async () => {
    const before = await s.snapshot();
    const { failure, visible } = await s.mustFail({ spec: ingestOnly(secret, 'csv') });
    expect(failure.type).toBe('InvalidPipelineInput');
    expect(visible).toMatch(/leads outside the data roots/);
    expect(visible).not.toContain('AWS_SECRET');
    expect(await s.snapshot()).toEqual(before);
  });

  it('a symlink inside the root that points outside is refused by the worker, which resolves it first', async () => {
    const before = await s.snapshot();
    const { failure, visible } = await s.mustFail({ spec: ingestOnly(path.join(root, 'innocent.csv'), 'csv') });
    expect(failure.type).toBe('DataSourceError');
    expect(visible).toMatch(/source\.path: ".*innocent\.csv" leads through a symbolic link outside the data roots/);
    expect(visible).not.toContain('AWS_SECRET');
    expect(await s.snapshot()).toEqual(before);
  });

  it('a source inside the root is read as before', async () => {
    const handle = await s.env.client.workflow.start('pipeline', { taskQueue: s.h.config.taskQueue, workflowId: 'roots-legit', args: [{ spec: ingestOnly(path.join(root, 'flights.parquet')) }] });
    const result = (await handle.result()) as { outputs: Record<string, { summary: Record<string, unknown> }> };
    expect(Number(result.outputs.ingest.summary.trainRows)).toBeGreaterThan(1000);
  });
});
