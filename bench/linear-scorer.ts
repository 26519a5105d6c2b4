/**
 * Benchmark: CPU time of one single-row prediction through LoadedModel.predict, scored by the
 * TypeScript linear scorer versus onnxruntime, on a model trained by the built-in trainer on a
 * week of real flights and real held-out flights. CPU time (process.cpuUsage), not wall time, so
 * a loaded machine inflates it less; rounds alternate so both see the same machine.
 * Usage: npx tsx bench/linear-scorer.ts
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../src/data/flights-window';
import { linearScorer } from '../src/serving/linear-scorer';
import { LoadedModel, type FeatureRow } from '../src/serving/loaded-model';
import { BINARY } from '../src/serving/model-task';
import { runBuiltinTrainer } from '../src/training/builtin-trainer';
import { loadFlightTraffic } from '../tools/replay-traffic';

const ROWS = 5000;
const ROUNDS = 3;

async function cpuMicrosPerRow(model: LoadedModel, rows: FeatureRow[]): Promise<number> {
  const before = process.cpuUsage();
  for (const row of rows) await model.predict([row]);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / rows.length;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-linear-'));
  try {
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const trainPath = path.join(dir, 'train.parquet');
    await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-08');
    const { modelPath } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 2, seed: 1 }, outputDir: path.join(dir, 'model') });
    const bytes = new Uint8Array(await readFile(modelPath));
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
    const scorer = linearScorer(bytes);
    if (!scorer) throw new Error('the built-in model was not accepted by the linear scorer');
    const fast = new LoadedModel('bench', 1, 'x', await ort.InferenceSession.create(bytes, options), Date.now(), BINARY, scorer);
    const slow = new LoadedModel('bench', 1, 'x', await ort.InferenceSession.create(bytes, options));
    const rows = (await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-15', limit: ROWS })).rows as FeatureRow[];
    await cpuMicrosPerRow(fast, rows.slice(0, 500));
    await cpuMicrosPerRow(slow, rows.slice(0, 500));
    const ts: number[] = [];
    const onnx: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      onnx.push(await cpuMicrosPerRow(slow, rows));
      ts.push(await cpuMicrosPerRow(fast, rows));
    }
    const best = (xs: number[]) => Math.min(...xs);
    console.log(`\nSingle-row prediction CPU time, ${ROWS} real held-out flights × ${ROUNDS} alternating rounds (best round; all rounds in brackets)`);
    console.log(`   onnxruntime (floor: today's path)  ${best(onnx).toFixed(1)} µs/row  [${onnx.map((x) => x.toFixed(1)).join(', ')}]`);
    console.log(`   TypeScript linear scorer           ${best(ts).toFixed(1)} µs/row  [${ts.map((x) => x.toFixed(1)).join(', ')}]`);
    console.log(`   speed-up                           ${(best(onnx) / best(ts)).toFixed(1)}×`);
    console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    fast.retire();
    slow.retire();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
