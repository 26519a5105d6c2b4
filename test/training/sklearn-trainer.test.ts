/**
 * The scikit-learn trainer (trainers/sklearn) run as a command trainer with the project's
 * virtual environment, its models scored by onnxruntime-node exactly as the evaluate step
 * scores any model. Needs `bash scripts/python-env.sh` (make setup runs it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeMetrics } from '../../src/evaluation/metrics';
import { scoreModel, scoreRows } from '../../src/evaluation/score-model';
import { runCommandTrainer } from '../../src/training/command-trainer';
import { writeFlightsWindow } from '../../src/data/flights-window';
import type { TrainerProgress } from '../../src/training/trainer-contract';

const ROOT = join(__dirname, '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const FEATURES = { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'], label: 'label' };

let dir: string;
let trainPath: string;
let holdoutPath: string;

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run "bash scripts/python-env.sh" (make setup does)`);
  dir = await mkdtemp(join(tmpdir(), 'slipway-sklearn-'));
  trainPath = join(dir, 'train.parquet');
  holdoutPath = join(dir, 'holdout.parquet');
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-04');
  await writeFlightsWindow(holdoutPath, '2001-03-04', '2001-03-05');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe.each([
  ['hist-gradient-boosting', { seed: 3, maxIter: 20 }],
  ['logistic-regression', { seed: 3 }],
])('scikit-learn %s', (estimator, params) => {
  let modelPath: string;
  let metrics: Record<string, number | null>;
  const progress: TrainerProgress[] = [];

  beforeAll(async () => {
    const result = await runCommandTrainer({
      command: [PYTHON, 'trainers/sklearn/train.py', '--estimator', estimator, '--request', '{request}'],
      cwd: ROOT,
      trainPath,
      holdoutPath,
      features: FEATURES,
      params,
      workDir: join(dir, estimator),
      onProgress: (p) => progress.push(p),
    });
    expect(result.trainer).toBe(`sklearn-${estimator}`);
    expect(result.trainerVersion).toMatch(/scikit-learn 1\.9\.1, skl2onnx 1\.20\.0/);
    expect(result.params).toMatchObject(params);
    modelPath = result.modelPath;
    metrics = result.metrics;
  }, 120_000);

  it('exports one input per feature column, float for numeric and string for categorical, [N, 1]', async () => {
    const session = await ort.InferenceSession.create(modelPath);
    try {
      expect(session.inputNames).toEqual(['distance', 'hour', 'weekday', 'origin', 'destination']);
      const inputs = session.inputMetadata.map((m) => (m.isTensor ? [m.name, m.type, m.shape.at(-1)] : [m.name]));
      expect(inputs).toEqual([
        ['distance', 'float32', 1],
        ['hour', 'string', 1],
        ['weekday', 'string', 1],
        ['origin', 'string', 1],
        ['destination', 'string', 1],
      ]);
      expect(session.outputNames).toEqual(['label', 'probabilities']);
      const feeds = {
        distance: new ort.Tensor('float32', Float32Array.from([300, NaN, 1200]), [3, 1]),
        hour: new ort.Tensor('string', ['7', '18', ''], [3, 1]),
        weekday: new ort.Tensor('string', ['2', '6', '1'], [3, 1]),
        // Missing ('') and never-seen values must score, not fail.
        origin: new ort.Tensor('string', ['ORD', '', 'NOWHERE'], [3, 1]),
        destination: new ort.Tensor('string', ['LAX', 'ATL', 'ZZZ'], [3, 1]),
      };
      const out = await session.run(feeds);
      expect(out.label.type).toBe('int64');
      expect(out.label.dims).toEqual([3]);
      expect(out.probabilities.type).toBe('float32');
      expect(out.probabilities.dims).toEqual([3, 2]);
      const p = out.probabilities.data as Float32Array;
      for (let i = 0; i < 3; i++) {
        expect(p[2 * i] + p[2 * i + 1]).toBeCloseTo(1, 5);
        expect(Number((out.label.data as BigInt64Array)[i])).toBe(p[2 * i + 1] > 0.5 ? 1 : 0);
      }
      // scoreRows, as the model server will call it, agrees with the raw session.
      const viaScoreRows = await scoreRows(session, [{ distance: 300, hour: 7, weekday: 2, origin: 'ORD', destination: 'LAX' }]);
      expect(viaScoreRows[0]).toBe(p[1]);
    } finally {
      await session.release();
    }
  });

  it('scores the holdout with onnxruntime-node as scikit-learn scored it', async () => {
    const scored = await scoreModel(modelPath, holdoutPath, { label: 'label' });
    const auc = computeMetrics(scored.scores, scored.labels).auc;
    expect(auc).toBeGreaterThan(0.6);
    // The trainer's own holdout AUC (scikit-learn, float64) and ours (onnxruntime, float32) agree.
    expect(Math.abs(auc - Number(metrics.holdoutAuc))).toBeLessThan(1e-3);
    expect(metrics.onnxMaxAbsDiff).toBeLessThan(1e-4);
    expect(metrics.trainRows).toBeGreaterThan(40_000);
  });

  it('reports progress from loading to done', () => {
    expect(progress[0]).toEqual({ phase: 'loading', fraction: 0 });
    expect(progress.at(-1)).toEqual({ phase: 'done', fraction: 1 });
    expect(progress.every((p, i) => i === 0 || Number(p.fraction) >= Number(progress[i - 1].fraction))).toBe(true);
    if (estimator === 'hist-gradient-boosting') {
      expect(progress.filter((p) => p.iteration !== undefined).map((p) => p.iteration)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });
});

describe('scikit-learn trainer errors', () => {
  it('exits non-zero with the reason on stderr for an unknown param', async () => {
    const err = await runCommandTrainer({
      command: [PYTHON, 'trainers/sklearn/train.py', '--estimator', 'logistic-regression'],
      cwd: ROOT,
      trainPath,
      holdoutPath,
      features: FEATURES,
      params: { seed: 1, momentum: 0.9 },
      workDir: join(dir, 'bad-param'),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/exited with code 2; last stderr lines:\ninvalid request: params: unknown momentum for logistic-regression/);
  });
});
