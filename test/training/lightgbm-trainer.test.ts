/**
 * The LightGBM template trainer (trainers/lightgbm), run exactly as a pipeline runs it: through
 * its registration in trainers/registry.yaml and the command-trainer boundary, on real flights.
 * Its model meets the model contract as `slipway models import` checks it, and onnxruntime-node
 * scores the holdout as LightGBM did. Needs `bash scripts/python-env.sh` (make setup runs it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFlightsWindow } from '../../src/data/flights-window';
import { computeMetrics } from '../../src/evaluation/metrics';
import { scoreModel } from '../../src/evaluation/score-model';
import { runCommandTrainer } from '../../src/training/command-trainer';
import { checkModelContract } from '../../src/training/model-contract-check';
import { loadTrainerRegistry } from '../../src/training/trainer-registry';
import type { TrainerProgress } from '../../src/training/trainer-contract';

const ROOT = join(__dirname, '..', '..');
const FEATURES = { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'], label: 'label' };

let dir: string;
let trainPath: string;
let holdoutPath: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, '.venv', 'bin', 'python'))) throw new Error('.venv is missing: run "bash scripts/python-env.sh" (make setup does)');
  dir = await mkdtemp(join(tmpdir(), 'slipway-lightgbm-'));
  trainPath = join(dir, 'train.parquet');
  holdoutPath = join(dir, 'holdout.parquet');
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-04');
  await writeFlightsWindow(holdoutPath, '2001-03-04', '2001-03-05');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('the lightgbm registered trainer', () => {
  it('trains through its registration, meets the model contract, and scores the holdout as LightGBM did', async () => {
    const registered = loadTrainerRegistry(join(ROOT, 'trainers', 'registry.yaml')).get('lightgbm');
    expect(registered?.params).toEqual(['numIterations', 'learningRate', 'numLeaves', 'minDataInLeaf', 'lambdaL2', 'maxBin']);
    const progress: TrainerProgress[] = [];
    const result = await runCommandTrainer({
      command: registered!.command,
      cwd: ROOT,
      trainPath,
      holdoutPath,
      features: FEATURES,
      params: { seed: 5, numIterations: 40 },
      workDir: join(dir, 'run'),
      onProgress: (p) => progress.push(p),
    });
    expect(result.trainer).toBe('lightgbm');
    expect(result.trainerVersion).toMatch(/^1\.0\.0 \(LightGBM 4\.7\.0, onnxmltools 1\.16\.0\)$/);
    expect(result.params).toMatchObject({ numIterations: 40, learningRate: 0.1, seed: 5 });
    expect(progress[0]).toEqual({ phase: 'loading', fraction: 0 });
    expect(progress.at(-1)).toEqual({ phase: 'done', fraction: 1 });

    await checkModelContract(result.modelPath, { task: 'binary', features: { numeric: FEATURES.numeric, categorical: FEATURES.categorical } });
    const scored = await scoreModel(result.modelPath, holdoutPath, { label: 'label' });
    const auc = computeMetrics(scored.scores, scored.labels).auc;
    expect(auc).toBeGreaterThan(0.6);
    expect(Math.abs(auc - Number(result.metrics.holdoutAuc))).toBeLessThan(1e-3);
    expect(result.metrics.onnxMaxAbsDiff).toBeLessThan(1e-4);
    expect(result.metrics.trainRows).toBeGreaterThan(40_000);
  }, 300_000);

  it('refuses a param its registration does not list, before training', async () => {
    const err = await runCommandTrainer({
      command: loadTrainerRegistry(join(ROOT, 'trainers', 'registry.yaml')).get('lightgbm')!.command,
      cwd: ROOT,
      trainPath,
      holdoutPath,
      features: FEATURES,
      params: { maxDepth: 3 },
      workDir: join(dir, 'bad'),
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/exited with code 2[\s\S]*params: unknown maxDepth for lightgbm; known: numIterations/);
  }, 120_000);
});
