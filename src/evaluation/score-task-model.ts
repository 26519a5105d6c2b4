/**
 * Scores a Parquet file with a multiclass or regression model (the model contract per task in
 * src/training/ARCHITECTURE.md) and computes the task's metrics: the library half of evaluating
 * these tasks, as `scoreModel` is for binary ones.
 *
 * Inputs are read as `scoreModel` reads them (the model's input names; float inputs CAST to FLOAT
 * with null as NaN, string inputs to VARCHAR with null as ''); the label as a class index (by the
 * snapshot's class list) or a DOUBLE target, in file order.
 */
import { readFile } from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import { EvaluationError } from '../errors';
import { readColumnBatches, type ColumnArray, type ColumnRead } from '../training/duckdb-columns';
import type { LoadTarget } from '../training/load-training-data';
import { computeMulticlassMetrics, type MulticlassMetrics } from './multiclass-metrics';
import { computeRegressionMetrics, type RegressionMetrics } from './regression-metrics';
import { openSession, timeSingleRows } from './score-model';

/** Inference cost, measured as `scoreModel` measures it (reads excluded). */
interface ScoreCost {
  /** Batched `session.run` time per row, in ms. */
  msPerRow: number;
  /** Median of one-row `session.run` calls on the first rows, in ms. */
  singleRowMs: number;
}

export type TaskScore =
  | ({ task: 'multiclass'; rows: number; classes: string[]; probabilities: Float32Array; labels: Int32Array; metrics: MulticlassMetrics } & ScoreCost)
  | ({ task: 'regression'; rows: number; values: Float32Array; targets: Float64Array; metrics: RegressionMetrics } & ScoreCost);

const BATCH = 65_536;

/**
 * @throws EvaluationError when the model cannot be loaded, lacks its task's output or has the wrong
 * shape, declares other classes than the snapshot, or a label is null or not one of the classes.
 */
export async function scoreTaskModel(modelPath: string, parquetPath: string, label: string, target: LoadTarget): Promise<TaskScore> {
  const session = await openSession(modelPath);
  try {
    if (target.task === 'multiclass') await checkClasses(modelPath, target.classes);
    const inputs = session.inputNames.map((name) => {
      const meta = session.inputMetadata.find((m) => m.name === name);
      const kind = meta?.isTensor && meta.type === 'string' ? ('string' as const) : ('float32' as const);
      return { name, kind };
    });
    const source = `read_parquet(${sqlString(parquetPath)}, file_row_number = true) t`;
    const labelSql =
      target.task === 'multiclass'
        ? `COALESCE(list_position([${target.classes.map(sqlString).join(', ')}], CAST(t.${sqlIdent(label)} AS VARCHAR)) - 1, -1)::INTEGER`
        : `CAST(t.${sqlIdent(label)} AS DOUBLE)`;
    const select = [...inputs.map((i) => (i.kind === 'string' ? `COALESCE(CAST(t.${sqlIdent(i.name)} AS VARCHAR), '')` : `CAST(t.${sqlIdent(i.name)} AS FLOAT)`)), labelSql];
    const reads: ColumnRead[] = [...inputs, { name: label, kind: target.task === 'multiclass' ? 'int32' : 'float64' }];
    const outputs: Float32Array[] = [];
    const labels: ColumnArray[] = [];
    let rows = 0;
    let inferenceMs = 0;
    let singleRowMs = NaN;
    await withDuckDb({}, async (conn) => {
      const result = await conn.stream(`SELECT ${select.join(', ')} FROM ${source} ORDER BY t.file_row_number`).catch((err: unknown) => {
        throw new EvaluationError(`could not read ${parquetPath} for model ${modelPath}: ${(err as Error).message}`, { cause: err });
      });
      for await (const batch of readColumnBatches(result, reads, BATCH)) {
        const feeds: Record<string, ort.Tensor> = {};
        inputs.forEach((input, i) => {
          feeds[input.name] = input.kind === 'string' ? new ort.Tensor('string', batch.columns[i] as string[], [batch.rows, 1]) : new ort.Tensor('float32', batch.columns[i] as Float32Array, [batch.rows, 1]);
        });
        if (rows === 0) {
          singleRowMs = await timeSingleRows(session, inputs.map((i) => i.name), inputs.map((i) => i.kind), batch.columns.slice(0, inputs.length), 200);
        }
        const started = performance.now();
        const out = await session.run(feeds);
        inferenceMs += performance.now() - started;
        outputs.push(taskOutput(out, target, batch.rows));
        labels.push(batch.columns[inputs.length]);
        rows += batch.rows;
      }
    });
    const cost = (): ScoreCost => ({ msPerRow: rows > 0 ? inferenceMs / rows : 0, singleRowMs });
    if (target.task === 'multiclass') {
      const probabilities = concatFloat32(outputs);
      const classIndex = Int32Array.from(labels.flatMap((l) => Array.from(l as Int32Array)));
      const bad = classIndex.indexOf(-1);
      if (bad >= 0) throw new EvaluationError(`label column "${label}" at row ${bad} is null or none of the classes ${target.classes.join(', ')}`, { details: { row: bad } });
      return { task: 'multiclass', ...cost(), rows, classes: target.classes, probabilities, labels: classIndex, metrics: computeMulticlassMetrics(probabilities, classIndex, target.classes.length) };
    }
    const values = concatFloat32(outputs);
    const targets = Float64Array.from(labels.flatMap((l) => Array.from(l as Float64Array)));
    const bad = targets.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new EvaluationError(`regression target "${label}" at row ${bad} is ${targets[bad]}; every target must be a finite number`, { details: { row: bad } });
    return { task: 'regression', ...cost(), rows, values, targets, metrics: computeRegressionMetrics(values, targets) };
  } finally {
    await session.release();
  }
}

/** A model that names its classes must name the snapshot's, in the same order: column k is class k. */
async function checkClasses(modelPath: string, classes: string[]): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(modelPath));
  const declared = model.metadataProps?.find((p) => p.key === 'slipway.classes')?.value;
  if (declared == null) return;
  if (declared !== JSON.stringify(classes)) {
    throw new EvaluationError(`model ${modelPath} was trained on classes ${declared}; this holdout's are ${JSON.stringify(classes)}`, {
      details: { model: modelPath },
    });
  }
}

function taskOutput(out: ort.InferenceSession.OnnxValueMapType, target: LoadTarget, rows: number): Float32Array {
  if (target.task === 'multiclass') {
    const p = out.probabilities;
    const K = target.classes.length;
    if (!p || p.type !== 'float32' || p.dims.length !== 2 || p.dims[0] !== rows || p.dims[1] !== K) {
      throw new EvaluationError(`a multiclass model must output float "probabilities" [${rows}, ${K}]; got ${p ? `${p.type} [${p.dims.join(', ')}]` : 'none'}`);
    }
    return p.data as Float32Array;
  }
  const v = out.value;
  if (!v || v.type !== 'float32' || v.dims[0] !== rows || v.size !== rows) {
    throw new EvaluationError(`a regression model must output float "value" [${rows}, 1]; got ${v ? `${v.type} [${v.dims.join(', ')}]` : 'none'}`);
  }
  return v.data as Float32Array;
}

function concatFloat32(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
