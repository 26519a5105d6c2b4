/**
 * Issue #13 item 1: starting a run must not be remote code execution. An operator (or anyone who
 * reaches Temporal) cannot bring a command or its environment; trainers come from the admin's
 * registry by name, and even those see an allow-listed environment, never the worker's secrets.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrustEnv, WINDOW, type TrustEnv } from './support/trust-spec-env';

const SECRETS = { AWS_SECRET_ACCESS_KEY: 'aws-secret-of-the-worker', TEMPORAL_API_KEY: 'temporal-key-of-the-worker', PGPASSWORD: 'db-password-of-the-worker', AWS_REGION: 'eu-west-1' };

let t: TrustEnv;
let dir: string;
const dump = () => path.join(dir, 'trainer-env.json');
const marker = () => path.join(dir, 'pwned');
const counts = { attempts: 0, refused: 0, unchanged: 0 };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-rce-'));
  const script = path.join(dir, 'env-dump.js');
  // A registered trainer that reports the environment it was given, then fails (no model needed).
  await writeFile(script, `require('fs').writeFileSync(process.env.DUMP_TO, JSON.stringify(process.env)); process.exit(3);\n`);
  const registry = path.join(dir, 'registry.yaml');
  await writeFile(registry, `trainers:\n  env-dump:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}]\n    env: { DUMP_TO: ${JSON.stringify(dump())} }\n    passEnv: [AWS_REGION]\n`);
  Object.assign(process.env, SECRETS);
  t = await startTrustEnv({ SLIPWAY_TRAINERS_FILE: registry });
}, 120_000);

afterAll(async () => {
  for (const k of Object.keys(SECRETS)) delete process.env[k];
  await t?.close();
   
  console.log(`[attacks] command-trainer-rce: ${JSON.stringify(counts)}`);
});

const shell = (file: string) => ['/bin/sh', '-c', `touch ${file}`];
const inlineSpec = (file: string) => ({
  name: 'rce',
  model: 'rce',
  steps: [
    { id: 'ingest', kind: 'ingest', with: { source: { path: 'package:vega-datasets/data/flights-3m.parquet' }, timeColumn: 'date', window: WINDOW.ingest.window, features: [{ name: 'distance', column: 'distance', transform: 'double' }], label: { column: 'delay', op: 'gt', value: 15 } } },
    { id: 'train', kind: 'train', dependsOn: ['ingest'], with: { trainer: 'command', command: shell(file), env: { LD_PRELOAD: '/tmp/evil.so' }, features: { numeric: ['distance'] } } },
  ],
});

describe('command trainers are registered by an admin, never brought by a run', () => {
  it('refuses an operator overriding a step with a shell command (403), and nothing runs or changes', async () => {
    const before = await t.snapshot();
    const res = await t.call('otto', 'POST', '/v1/runs', { input: { pipeline: 'flight-delay-builtin', overrides: { ...WINDOW, train: { trainer: 'command', command: shell(marker()) } } } });
    counts.attempts++;
    expect(JSON.stringify(res.body)).toMatch(/otto may not run an inline command trainer; use a registered trainer by name/);
    expect(res.status).toBe(403);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    expect(existsSync(marker())).toBe(false);
    counts.unchanged++;
  });

  it('refuses an operator inline spec with a command trainer and LD_PRELOAD (403)', async () => {
    const before = await t.snapshot();
    const res = await t.call('otto', 'POST', '/v1/runs', { input: { spec: inlineSpec(marker()) } });
    counts.attempts++;
    expect(res.status).toBe(403);
    expect(String(res.body.detail)).toMatch(/steps\[1\] \(train\)\.with\.trainer: otto may not run an inline command trainer/);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('refuses the admin too unless listed in SLIPWAY_INLINE_COMMAND_PRINCIPALS', async () => {
    const before = await t.snapshot();
    const res = await t.call('root', 'POST', '/v1/runs', { input: { spec: inlineSpec(marker()) } });
    counts.attempts++;
    expect(res.status).toBe(403);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('fails a run started straight on Temporal with an inline command before any step runs', async () => {
    const before = await t.snapshot();
    const run = await t.raw.startPipeline({ spec: inlineSpec(marker()) }, { idempotencyKey: 'raw-rce' });
    counts.attempts++;
    const failure = await t.raw.result(run.workflowId).then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(/a run without a verifiable identity may not run an inline command trainer/);
    counts.refused++;
    expect(existsSync(marker())).toBe(false);
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  }, 60_000);

  it('refuses a forged ticket (signed with another key) instead of treating it as no identity', async () => {
    const forger = new (await import('../../src/client/slipway-client')).SlipwayClient(t.env.client, { taskQueue: t.h.config.taskQueue, signingKey: 'not-the-worker-key-not-the-worker-key-!!' });
    const run = await forger.startPipeline({ pipeline: 'flight-delay-builtin', overrides: WINDOW }, { idempotencyKey: 'forged-ticket', principal: { name: 'root', roles: ['admin'], grants: [] } });
    counts.attempts++;
    const failure = await t.raw.result(run.workflowId).then(() => undefined, (err: unknown) => err);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(/input\.ticket: signature does not verify/);
    counts.refused++;
    expect((await t.snapshot()).aliases).toMatchObject({ 'flight-delay@champion': null });
    counts.unchanged++;
  }, 60_000);

  it('runs a registered trainer by name with an allow-listed environment: none of the worker\'s secrets', async () => {
    const spec = inlineSpec(marker());
    spec.steps[1] = { id: 'train', kind: 'train', dependsOn: ['ingest'], with: { trainer: 'env-dump', features: { numeric: ['distance'] } } } as never;
    const res = await t.call('otto', 'POST', '/v1/runs', { input: { spec }, idempotencyKey: 'env-dump' });
    expect(res.status).toBe(201);
    await t.raw.result(String(res.body.workflowId)).catch(() => undefined);
    const seen = JSON.parse(await readFile(dump(), 'utf8')) as Record<string, string>;
    expect(seen.AWS_REGION).toBe('eu-west-1');
    expect(seen.DUMP_TO).toBe(dump());
    for (const leaked of ['AWS_SECRET_ACCESS_KEY', 'TEMPORAL_API_KEY', 'PGPASSWORD']) expect(seen[leaked]).toBeUndefined();
    expect(Object.keys(seen).filter((k) => !/^(PATH|HOME|USER|LOGNAME|LANG|LC_ALL|LC_CTYPE|TZ|TMPDIR|TMP|TEMP|AWS_REGION|DUMP_TO|SLIPWAY_[A-Z_]+)$/.test(k))).toEqual([]);
  }, 120_000);
});
