/**
 * The train activity in a mock activity context: a command trainer's progress lines become
 * heartbeat details, and cancelling the activity kills the trainer's process group.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainCandidate } from '../../src/activities/train';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { createLogger } from '../../src/logger';
import { trainParamsSchema } from '../../src/pipeline/step-params';
import type { IngestSummary } from '../../src/pipeline/step-summaries';
import type { StepOutput, StepOutputBody, StepRequest } from '../../src/pipeline/types';
import { isAlive, waitFor } from './process-helpers';

const SCRIPT = join(__dirname, 'fixtures', 'script-trainer.js');
const log = createLogger('error');

let dir: string;
let store: LocalArtifactStore;
let inputs: Record<string, StepOutput>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-train-activity-'));
  store = new LocalArtifactStore({ root: join(dir, 'artifacts') });
  const meta = { label: 'label', features: ['distance', 'origin'] };
  const parquet = 'application/vnd.apache.parquet';
  const train = await store.putBytes('train rows', { name: 'train', mediaType: parquet, meta });
  const holdout = await store.putBytes('holdout rows', { name: 'holdout', mediaType: parquet, meta });
  inputs = { ingest: { kind: 'ingest', artifacts: { train, holdout }, summary: {} as IngestSummary } };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const request = (mode: string): StepRequest => ({
  ctx: { workflowId: 'wf', runId: 'run', stepId: `train-${mode}`, pipeline: 'p', model: 'm', specDigest: 'd' },
  params: {},
  inputs,
});
const params = (mode: string) =>
  trainParamsSchema.parse({
    trainer: 'command',
    command: [process.execPath, SCRIPT, mode],
    features: { numeric: ['distance'], categorical: ['origin'] },
    params: { seed: 5 },
  });

describe('train activity with a command trainer', () => {
  it('turns progress lines into heartbeat details and stores the model', async () => {
    const env = new MockActivityEnvironment();
    const beats: Record<string, unknown>[] = [];
    env.on('heartbeat', (d: Record<string, unknown>) => beats.push(d));
    const output = (await env.run(trainCandidate, { store, heartbeatEveryMs: 60_000 }, request('ok'), params('ok'), log)) as StepOutputBody<'train'>;

    expect(beats.map((b) => b.phase)).toEqual(['starting', 'loading', 'fitting', 'done']);
    expect(beats[2]).toMatchObject({ phase: 'fitting', fraction: 0.5, epoch: 1, elapsedSeconds: expect.any(Number) });
    expect(output.summary).toMatchObject({ trainer: 'script-trainer', trainerVersion: '0.1.0', trainerKind: 'command', seed: 5, trainRows: 3 });
    expect(output.artifacts.model.meta).toMatchObject({ trainer: 'script-trainer', step: 'train-ok', seed: 5 });
    expect(Buffer.from(await store.readBytes(output.artifacts.model)).toString()).toBe('not really onnx');
  });

  it('keeps heartbeating while the trainer is silent', async () => {
    const env = new MockActivityEnvironment();
    const beats: Record<string, unknown>[] = [];
    env.on('heartbeat', (d: Record<string, unknown>) => {
      beats.push(d);
      // The hanging trainer prints one progress line; the timer must repeat it.
      if (beats.filter((b) => b.phase === 'fitting').length === 3) env.cancel();
    });
    await expect(env.run(trainCandidate, { store, heartbeatEveryMs: 50 }, request('hang'), params('hang'), log)).rejects.toBeDefined();
    const fitting = beats.filter((b) => b.phase === 'fitting');
    expect(fitting.length).toBeGreaterThanOrEqual(3);
    expect(Number(fitting[2].elapsedSeconds)).toBeGreaterThanOrEqual(Number(fitting[0].elapsedSeconds));
  });

  it('kills the trainer and everything it started when the activity is cancelled', async () => {
    const env = new MockActivityEnvironment();
    let pidsFile: string | undefined;
    env.on('heartbeat', (d: Record<string, unknown>) => {
      if (d.phase === 'fitting') setTimeout(() => env.cancel(), 100);
    });
    const scratchRoot = join(dir, 'artifacts');
    const run = env.run(trainCandidate, { store, heartbeatEveryMs: 60_000 }, request('hang'), params('hang'), log);
    // Find the pids the trainer wrote into its scratch folder before the activity cleans it up.
    await waitFor(() => (pidsFile = findPids(scratchRoot)) !== undefined, 10_000);
    const pids = JSON.parse(await readFile(pidsFile!, 'utf8')) as { trainer: number; grandchild: number };
    await expect(run).rejects.toBeDefined();
    await waitFor(() => !isAlive(pids.trainer) && !isAlive(pids.grandchild), 10_000);
    // The scratch folder is gone too.
    expect(existsSync(pidsFile!)).toBe(false);
  });
});

function findPids(root: string): string | undefined {
  for (const entry of readdirSync(root, { recursive: true }) as string[]) {
    if (entry.endsWith('pids.json')) return join(root, entry);
  }
  return undefined;
}
