/**
 * The command trainer against a tiny script that follows the trainer contract
 * (fixtures/script-trainer.js): outputs, progress, failures and process-group cancellation.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingError } from '../../src/errors';
import { runCommandTrainer, type CommandTrainerOptions } from '../../src/training/command-trainer';
import { TRAINER_CONTRACT_VERSION, type TrainerProgress } from '../../src/training/trainer-contract';
import { isAlive, waitFor } from './process-helpers';

const SCRIPT = join(__dirname, 'fixtures', 'script-trainer.js');
const FEATURES = { numeric: ['distance'], categorical: ['origin'], label: 'label' };

let root: string;
let runs = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-command-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

/** Runs the script trainer in `mode` in a fresh work folder. */
const runScript = (mode: string, extra: Partial<CommandTrainerOptions> = {}) => {
  const workDir = join(root, `run-${++runs}`);
  const promise = runCommandTrainer({
    command: [process.execPath, SCRIPT, mode],
    trainPath: '/data/train.parquet',
    holdoutPath: '/data/holdout.parquet',
    features: FEATURES,
    params: { seed: 11, depth: 3 },
    workDir,
    ...extra,
  });
  return { workDir, promise };
};

describe('runCommandTrainer', () => {
  it('passes the contract inputs, relays JSON progress lines and collects model, metrics and metadata', async () => {
    const progress: TrainerProgress[] = [];
    const output: string[] = [];
    process.env.TEMPORAL_API_KEY = 'secret';
    process.env.SLIPWAY_DATA_DIR = '/worker/data';
    const { workDir, promise } = runScript('ok', {
      command: [process.execPath, SCRIPT, 'ok', '--out={output}', '--seed', '{seed}', '{unknown}'],
      env: { EXTRA: 'yes' },
      onProgress: (p) => progress.push(p),
      onOutput: (stream, line) => output.push(`${stream}: ${line}`),
    });
    const result = await promise.finally(() => {
      delete process.env.TEMPORAL_API_KEY;
      delete process.env.SLIPWAY_DATA_DIR;
    });

    expect(progress).toEqual([
      { phase: 'loading', fraction: 0 },
      { phase: 'fitting', fraction: 0.5, epoch: 1 },
      { phase: 'done', fraction: 1 },
    ]);
    expect(output).toEqual(expect.arrayContaining(['stdout: a plain log line, not progress', 'stderr: some stderr chatter']));
    expect(result).toMatchObject({
      modelPath: join(workDir, 'output', 'model.onnx'),
      trainer: 'script-trainer',
      trainerVersion: '0.1.0',
      params: { seed: 11, depth: 3, resolved: true },
      seed: 11,
      // Only numbers and nulls are metrics.
      metrics: { trainRows: 3, loss: 0.25, holdoutAuc: null },
    });
    expect(result.metrics).not.toHaveProperty('note');

    const seen = JSON.parse(await readFile(join(workDir, 'output', 'seen.json'), 'utf8'));
    const outputDir = join(workDir, 'output');
    expect(seen.args).toEqual([`--out=${outputDir}`, '--seed', '11', '{unknown}']);
    expect(seen.request).toEqual({
      contract: TRAINER_CONTRACT_VERSION,
      train: '/data/train.parquet',
      holdout: '/data/holdout.parquet',
      output: outputDir,
      features: { numeric: ['distance'], categorical: ['origin'] },
      label: 'label',
      params: { seed: 11, depth: 3 },
      seed: 11,
    });
    expect(seen.env).toMatchObject({
      SLIPWAY_TRAIN: '/data/train.parquet',
      SLIPWAY_HOLDOUT: '/data/holdout.parquet',
      SLIPWAY_OUTPUT: outputDir,
      SLIPWAY_REQUEST: join(workDir, 'request.json'),
      SLIPWAY_SEED: '11',
      SLIPWAY_LABEL: 'label',
      EXTRA: 'yes',
    });
    // The worker's own settings and credentials stay with the worker.
    expect(seen.env).not.toHaveProperty('SLIPWAY_DATA_DIR');
    expect(seen.env).not.toHaveProperty('TEMPORAL_API_KEY');
  });

  it('fails with the exit code and the last stderr lines when the trainer exits non-zero', async () => {
    const err = await runScript('fail', { name: 'script' }).promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    const message = (err as Error).message;
    expect(message).toMatch(/^trainer "script" exited with code 3; last stderr lines:\n/);
    expect(message).toMatch(/stderr line 30\nboom: the data had no rows$/);
    // Only the tail: the first lines are gone.
    expect(message).not.toMatch(/stderr line 1\n/);
    expect((err as TrainingError).details).toMatchObject({ exitCode: 3 });
  });

  it('fails when the trainer exits 0 without writing model.onnx', async () => {
    const { workDir, promise } = runScript('no-model');
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toBe(`trainer "command:node" exited 0 but wrote no model.onnx to ${join(workDir, 'output')}`);
  });

  it('refuses a metrics.json that is not JSON', async () => {
    const err = await runScript('bad-json').promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toMatch(/metrics\.json is not valid JSON/);
  });

  it('names a missing executable, with the way out for a missing Python environment', async () => {
    const err = await runScript('ok', { command: ['.no-venv/bin/python', 'train.py'], cwd: root }).promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toContain(`trainer command ".no-venv/bin/python" was not found (looked for ${join(root, '.no-venv/bin/python')})`);
    expect((err as Error).message).toContain('make setup');
  });

  it.each([
    ['SIGTERM', 'hang', 5000],
    ['SIGKILL after the grace period when SIGTERM is ignored', 'stubborn', 300],
  ])('kills the whole process group on abort (%s)', async (_name, mode, killGraceMs) => {
    const controller = new AbortController();
    const { workDir, promise } = runScript(mode, { signal: controller.signal, killGraceMs });
    const pidsFile = join(workDir, 'output', 'pids.json');
    await waitFor(() => existsSync(pidsFile), 10_000);
    const pids = JSON.parse(await readFile(pidsFile, 'utf8')) as { trainer: number; grandchild: number };
    expect(isAlive(pids.trainer) && isAlive(pids.grandchild)).toBe(true);

    const started = Date.now();
    controller.abort();
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(() => !isAlive(pids.trainer) && !isAlive(pids.grandchild), 5000);
    expect(Date.now() - started).toBeLessThan(killGraceMs + 2000);
  });

  it('does not start when the signal has already aborted', async () => {
    const reason = new Error('cancelled before start');
    const { workDir, promise } = runScript('ok', { signal: AbortSignal.abort(reason) });
    await expect(promise).rejects.toBe(reason);
    expect(existsSync(workDir)).toBe(false);
  });

  it('kills what the trainer left running in its group once it exits', async () => {
    const script = join(root, 'leaves-a-child.js');
    await writeFile(
      script,
      `const { spawn } = require('node:child_process'); const fs = require('node:fs');
       const out = JSON.parse(fs.readFileSync(process.env.SLIPWAY_REQUEST, 'utf8')).output;
       const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       fs.writeFileSync(out + '/model.onnx', 'x'); fs.writeFileSync(out + '/pids.json', JSON.stringify({ child: child.pid }));
       child.unref(); process.exit(0);`,
    );
    const { workDir, promise } = runScript('ok', { command: [process.execPath, script] });
    await promise;
    const { child } = JSON.parse(await readFile(join(workDir, 'output', 'pids.json'), 'utf8')) as { child: number };
    await waitFor(() => !isAlive(child), 5000);
  });
});
