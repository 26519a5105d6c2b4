import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSourceError, InvalidPipelineInputError } from '../errors';
import { computeMetrics } from '../evaluation/metrics';
import { scoreModel } from '../evaluation/score-model';
import { BUILTIN_TRAINER, runBuiltinTrainer, type TrainingProgress } from './builtin-trainer';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../data/flights-window';

let dir: string;
let trainPath: string;
let holdoutPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-trainer-'));
  trainPath = join(dir, 'train.parquet');
  holdoutPath = join(dir, 'holdout.parquet');
  // One week to train on, the two days after it to judge.
  await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-08');
  await writeFlightsWindow(holdoutPath, '2001-03-08', '2001-03-10');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('runBuiltinTrainer', () => {
  it('trains on a week of flights a model that beats chance on the following days', async () => {
    const progress: TrainingProgress[] = [];
    const { modelPath, metadata } = await runBuiltinTrainer({
      trainPath,
      features: FLIGHTS_FEATURES,
      outputDir: join(dir, 'run'),
      onProgress: (p) => progress.push(p),
    });

    const scored = await scoreModel(modelPath, holdoutPath, { label: 'label' });
    expect(computeMetrics(scored.scores, scored.labels).auc).toBeGreaterThan(0.6);

    expect(metadata).toMatchObject({ trainer: BUILTIN_TRAINER, features: FLIGHTS_FEATURES, params: { epochs: 5, seed: 42 } });
    expect(metadata.trainRows).toBeGreaterThan(100_000);
    expect(metadata.finalLoss).toBeGreaterThan(0);
    expect(metadata.seconds).toBeGreaterThan(0);

    expect(progress.map((p) => p.phase)).toEqual(['loading', 'fitting', ...Array(5).fill('fitting'), 'exporting']);
    expect(progress.filter((p) => p.phase === 'fitting' && p.epoch! > 0).map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.every((p, i) => i === 0 || p.fraction >= progress[i - 1].fraction)).toBe(true);
    expect(progress.at(-1)?.loss).toBe(metadata.finalLoss);
  });

  it('writes byte-identical models for the same data, params and seed', async () => {
    const run = (name: string, seed: number) =>
      runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 2, seed }, outputDir: join(dir, name) }).then(
        (r) => readFile(r.modelPath),
      );
    const [first, second, otherSeed] = await Promise.all([run('a', 7), run('b', 7), run('c', 8)]);
    expect(first.equals(second)).toBe(true);
    expect(first.equals(otherSeed)).toBe(false);
  });

  it('terminates the thread and rejects with an AbortError when the signal aborts', async () => {
    const controller = new AbortController();
    const outputDir = join(dir, 'aborted');
    const run = runBuiltinTrainer({
      trainPath,
      features: FLIGHTS_FEATURES,
      outputDir,
      signal: controller.signal,
      // Aborts on the first report, while the thread is still loading.
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(existsSync(join(outputDir, 'model.onnx'))).toBe(false);
  });

  it('rejects at once, without starting a thread, when the signal has already aborted', async () => {
    const reason = new Error('activity cancelled');
    await expect(
      runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, outputDir: join(dir, 'never'), signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });

  it('refuses unknown or out-of-range params before training', async () => {
    const err = await runBuiltinTrainer({
      trainPath,
      features: FLIGHTS_FEATURES,
      outputDir: join(dir, 'bad'),
      params: { epochs: 0, momentum: 0.9 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidPipelineInputError);
    expect((err as InvalidPipelineInputError).problems.join('\n')).toMatch(/params\.epochs[\s\S]*momentum/);
  });

  it('passes a data error from the thread through as a DataSourceError', async () => {
    const err = await runBuiltinTrainer({
      trainPath,
      features: { ...FLIGHTS_FEATURES, numeric: ['altitude'] },
      outputDir: join(dir, 'missing'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toContain('"altitude"');
  });

  it('weighs recent rows more with recencyHalfLife and reports the effective sample', async () => {
    const { metadata } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 1, recencyHalfLife: '2 days' }, outputDir: join(dir, 'recent') });
    expect(metadata.params.recencyHalfLife).toBe('2 days');
    // A week at a 2-day half-life: the oldest day weighs 1/8 of the newest, so the effective sample is well below the rows.
    expect(metadata.effectiveRows).toBeGreaterThan(0.5 * metadata.trainRows);
    expect(metadata.effectiveRows).toBeLessThan(0.9 * metadata.trainRows);
  });

  it('refuses a bad recencyHalfLife naming it, and needs the ingest time column for one', async () => {
    await expect(runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { recencyHalfLife: 'soon' }, outputDir: join(dir, 'bad-hl') })).rejects.toThrow(/params\.recencyHalfLife: "soon" is not a duration/);
    const noTime = join(dir, 'no-time.parquet');
    const { withDuckDb, sqlString } = await import('../data/duckdb');
    await withDuckDb({}, (c) => c.run(`COPY (SELECT * EXCLUDE (event_time) FROM read_parquet(${sqlString(trainPath)})) TO ${sqlString(noTime)} (FORMAT parquet)`));
    await expect(runBuiltinTrainer({ trainPath: noTime, features: FLIGHTS_FEATURES, params: { recencyHalfLife: '7 days' }, outputDir: join(dir, 'no-time') })).rejects.toThrow(/lacks column\(s\) "event_time"/);
  });

  it('warm-starts from a champion: with a tiny step the candidate scores like the champion; without a champion file it starts cold', async () => {
    const champion = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 1, seed: 3 }, outputDir: join(dir, 'champion') });
    const params = { epochs: 1, learningRate: 1e-5, warmStart: true };
    const warm = await runBuiltinTrainer({ trainPath: holdoutPath, features: FLIGHTS_FEATURES, params, warmStartPath: champion.modelPath, outputDir: join(dir, 'warm') });
    const cold = await runBuiltinTrainer({ trainPath: holdoutPath, features: FLIGHTS_FEATURES, params, outputDir: join(dir, 'cold') });
    expect(warm.metadata.warmStarted).toBe(true);
    expect(cold.metadata.warmStarted).toBe(false);
    const scores = async (path: string) => (await scoreModel(path, holdoutPath, { label: 'label' })).scores;
    const [a, b, c] = await Promise.all([scores(champion.modelPath), scores(warm.modelPath), scores(cold.modelPath)]);
    const meanAbsDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / x.length;
    // Scores, not AUC: a cold fit's tiny weights still rank rows in their direction.
    expect(meanAbsDiff(b, a)).toBeLessThan(0.005);
    // The cold start with the same tiny step stays near the base rate, far from the champion's spread.
    expect(meanAbsDiff(c, a)).toBeGreaterThan(0.03);
  });

  it('anchor: pulls a warm start toward the champion, trains cold without one, and is refused without warmStart', async () => {
    const champion = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 1, seed: 3 }, outputDir: join(dir, 'anchor-champion') });
    const params = { epochs: 2, warmStart: true };
    const free = await runBuiltinTrainer({ trainPath: holdoutPath, features: FLIGHTS_FEATURES, params, warmStartPath: champion.modelPath, outputDir: join(dir, 'free') });
    const held = await runBuiltinTrainer({ trainPath: holdoutPath, features: FLIGHTS_FEATURES, params: { ...params, anchor: 1 }, warmStartPath: champion.modelPath, outputDir: join(dir, 'held') });
    const scores = async (path: string) => (await scoreModel(path, holdoutPath, { label: 'label' })).scores;
    const [a, f, h] = await Promise.all([scores(champion.modelPath), scores(free.modelPath), scores(held.modelPath)]);
    const meanAbsDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / x.length;
    // A strong pull keeps the candidate at most half as far from the champion as the same fit without it.
    expect(meanAbsDiff(h, a)).toBeLessThan(0.5 * meanAbsDiff(f, a));
    expect(held.metadata.params.anchor).toBe(1);
    // No champion file: nothing to pull toward, an ordinary cold start (not an error).
    const cold = await runBuiltinTrainer({ trainPath: holdoutPath, features: FLIGHTS_FEATURES, params: { ...params, anchor: 1 }, outputDir: join(dir, 'anchor-cold') });
    expect(cold.metadata.warmStarted).toBe(false);
    await expect(runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { anchor: 0.1 }, outputDir: join(dir, 'bad-anchor') })).rejects.toThrow(/params\.anchor: anchor needs warmStart: true/);
  });
});
