/**
 * Benchmark: the built-in multiclass (softmax) and regression (ridge) trainers against scikit-learn's
 * LogisticRegression (lbfgs, multinomial) and Ridge on the same features, same machine, same run:
 * flights January–March 2001 (1.48M rows) to train, April (0.5M) to judge. Multiclass label: delay
 * bucket (early < 0 ≤ on-time ≤ 15 < late ≤ 60 < very-late); regression target: delay in minutes.
 * Features as the flight-delay pipeline: distance; hour, weekday, origin, destination categorical.
 * Both models are scored the same way: ours by onnxruntime-node from its exported ONNX, scikit-learn's in
 * Python, each with the same metric definitions (checked against each other in test/evaluation).
 * Claim checked (issue #16): faster fit, quality within 1 % relative. Usage: npm run bench:tasks
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { queryRows, sqlString, withDuckDb } from '../src/data/duckdb';
import { flightsParquetPath } from '../src/data/flights-window';
import { computeMulticlassMetrics } from '../src/evaluation/multiclass-metrics';
import { computeRegressionMetrics } from '../src/evaluation/regression-metrics';
import type { FeatureSpec } from '../src/training/feature-spec';
import { loadEncodedData, type LoadTarget } from '../src/training/load-training-data';
import { exportRidgeOnnx, exportSoftmaxOnnx } from '../src/training/onnx-export-tasks';
import { fitRidgeRegression } from '../src/training/ridge-regression';
import { fitSoftmaxRegression } from '../src/training/softmax-regression';

const root = path.join(__dirname, '..');
const python = path.join(root, '.venv', 'bin', 'python');
const features: FeatureSpec = { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'], label: 'label' };
const CLASSES = ['early', 'late', 'on-time', 'very-late'];
const L2 = 1e-6;
const ALPHA = 1;
const TOLERANCE = 0.01;
const BUCKET = `CASE WHEN delay < 0 THEN 'early' WHEN delay <= 15 THEN 'on-time' WHEN delay <= 60 THEN 'late' ELSE 'very-late' END`;

async function write(dir: string, name: string, label: string, from: string, to: string): Promise<string> {
  const file = path.join(dir, `${name}.parquet`);
  await withDuckDb({}, (c) =>
    c.run(`COPY (SELECT distance::DOUBLE AS distance, hour(date)::VARCHAR AS hour, dayofweek(date)::VARCHAR AS weekday, origin, destination, ${label} AS label
      FROM read_parquet(${sqlString(flightsParquetPath())}) WHERE date >= ${sqlString(from)} AND date < ${sqlString(to)}) TO ${sqlString(file)} (FORMAT parquet)`),
  );
  return file;
}

async function feeds(file: string): Promise<Record<string, ort.Tensor>> {
  const rows = await withDuckDb({}, (c) => queryRows(c, `SELECT * FROM read_parquet(${sqlString(file)})`));
  const out: Record<string, ort.Tensor> = { distance: new ort.Tensor('float32', Float32Array.from(rows, (r) => Number(r.distance)), [rows.length, 1]) };
  for (const c of features.categorical) out[c] = new ort.Tensor('string', rows.map((r) => String(r[c])), [rows.length, 1]);
  return out;
}

async function ours(train: string, holdout: string, target: LoadTarget) {
  const t0 = performance.now();
  const data = await loadEncodedData(train, features, { target });
  const loaded = performance.now();
  const cardinalities = features.categorical.map((c) => data.encoding.vocab[c].length + 1);
  let bytes: Uint8Array;
  let fitted: number;
  if (target.task === 'multiclass') {
    const { model } = fitSoftmaxRegression({ ...data, cardinalities, label: data.classIndex!, classes: CLASSES.length }, { epochs: 5, learningRate: 0.05, l2: L2, batchSize: 4096, seed: 7 });
    fitted = performance.now();
    bytes = exportSoftmaxOnnx({ features, encoding: data.encoding, model, classes: CLASSES });
  } else {
    const { model } = fitRidgeRegression({ ...data, cardinalities, target: data.target! }, { alpha: ALPHA });
    fitted = performance.now();
    bytes = exportRidgeOnnx({ features, encoding: data.encoding, model });
  }
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(await feeds(holdout));
  await session.release();
  const truth = await loadEncodedData(holdout, features, { target, encoding: data.encoding });
  const metrics =
    target.task === 'multiclass'
      ? computeMulticlassMetrics(out.probabilities.data as Float32Array, truth.classIndex!, CLASSES.length)
      : computeRegressionMetrics(out.value.data as Float32Array, truth.target!);
  return { loadS: (loaded - t0) / 1000, fitS: (fitted - loaded) / 1000, rows: data.rows, metrics };
}

function sklearn(task: string, train: string, holdout: string, penalty: number) {
  return JSON.parse(execFileSync(python, [path.join(__dirname, 'tasks-sklearn.py'), task, train, holdout, String(penalty), JSON.stringify(CLASSES)], { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const f = (x: number, d = 4) => x.toFixed(d);

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-tasks-'));
  let failed = false;
  try {
    const mc = { train: await write(dir, 'mc-train', BUCKET, '2001-01-01', '2001-04-01'), holdout: await write(dir, 'mc-holdout', BUCKET, '2001-04-01', '2001-05-01') };
    const a = await ours(mc.train, mc.holdout, { task: 'multiclass', classes: CLASSES });
    const b = sklearn('multiclass', mc.train, mc.holdout, L2);
    const m = a.metrics as ReturnType<typeof computeMulticlassMetrics>;
    const okM = a.fitS < b.fitS && rel(m.logLoss, b.logLoss) <= TOLERANCE && rel(m.accuracy, b.accuracy) <= TOLERANCE;
    console.log(`multiclass (delay bucket, ${a.rows} train rows, ${m.rows} holdout rows)`);
    console.log(`  built-in softmax, 5 epochs  load ${f(a.loadS, 2)} s  fit ${f(a.fitS, 2)} s  logLoss ${f(m.logLoss)}  accuracy ${f(m.accuracy)}  macroF1 ${f(m.macroF1)}`);
    console.log(`  sklearn LogisticRegression  prep ${f(b.prepareS, 2)} s  fit ${f(b.fitS, 2)} s  logLoss ${f(b.logLoss)}  accuracy ${f(b.accuracy)}  macroF1 ${f(b.macroF1)}  (${b.iterations} lbfgs iterations)`);
    console.log(`  fit ${f(b.fitS / a.fitS, 1)}× faster; logLoss ${f(100 * rel(m.logLoss, b.logLoss), 2)} % and accuracy ${f(100 * rel(m.accuracy, b.accuracy), 2)} % relative → ${okM ? 'PASS' : 'FAIL'}`);

    const rg = { train: await write(dir, 'rg-train', 'delay::DOUBLE', '2001-01-01', '2001-04-01'), holdout: await write(dir, 'rg-holdout', 'delay::DOUBLE', '2001-04-01', '2001-05-01') };
    const c = await ours(rg.train, rg.holdout, { task: 'regression' });
    const d = sklearn('regression', rg.train, rg.holdout, ALPHA);
    const r = c.metrics as ReturnType<typeof computeRegressionMetrics>;
    const okR = c.fitS < d.fitS && rel(r.rmse, d.rmse) <= TOLERANCE;
    console.log(`regression (delay minutes, ${c.rows} train rows, ${r.rows} holdout rows)`);
    console.log(`  built-in ridge (exact)      load ${f(c.loadS, 2)} s  fit ${f(c.fitS, 2)} s  RMSE ${f(r.rmse)}  MAE ${f(r.mae)}  R² ${f(r.r2)}`);
    console.log(`  sklearn Ridge               prep ${f(d.prepareS, 2)} s  fit ${f(d.fitS, 2)} s  RMSE ${f(d.rmse)}  MAE ${f(d.mae)}  R² ${f(d.r2)}`);
    console.log(`  fit ${f(d.fitS / c.fitS, 1)}× faster; RMSE ${f(100 * rel(r.rmse, d.rmse), 3)} % relative → ${okR ? 'PASS' : 'FAIL'}`);
    failed = !okM || !okR;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

void main();
