/**
 * Scores a Parquet file with any ONNX model that follows the Slipway model contract
 * (src/training/ARCHITECTURE.md): one input per column, `probabilities` [N,2] out. The
 * model decides which columns are read, so built-in and scikit-learn models score alike.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as ort from 'onnxruntime-node';
import { EvaluationError } from '../errors';
import { sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import { readColumnBatches, type ColumnArray, type ColumnRead } from '../training/duckdb-columns';

/** Options of {@link scoreModel}. */
export interface ScoreOptions {
  /** Label column of the Parquet file (0/1 or boolean). */
  label: string;
  /**
   * Rows per `session.run`; bounds memory on large files.
   * @default 65536
   */
  batchSize?: number;
  /**
   * Single-row `session.run` calls timed on the first rows, for {@link ScoreResult.singleRowMs}.
   * @default 200
   */
  singleRowSamples?: number;
}

/** Scores of every row, in file order, with the labels they are judged against. */
export interface ScoreResult {
  /** P(label = 1) per row. */
  scores: Float32Array;
  labels: Uint8Array;
  rows: number;
  /** Inference time only (excluding reads), averaged per row. */
  msPerRow: number;
  /** Median time of one inference call on one row (NaN for an empty file): what a model server pays per request. */
  singleRowMs: number;
  /** The model's inputs, i.e. the columns that were read. */
  inputNames: string[];
}

/** A feature value as a client sends it; null/undefined means missing. */
export type FeatureValue = number | string | boolean | null | undefined;

export type InputKind = 'float32' | 'string';

const PROBABILITIES = 'probabilities';
const NUMERIC_SQL_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;

/**
 * Runs the model at `modelPath` over every row of `parquetPath`.
 * @throws EvaluationError when the model cannot be loaded, a column it needs is missing,
 * or its outputs do not follow the contract.
 */
export async function scoreModel(modelPath: string, parquetPath: string, options: ScoreOptions): Promise<ScoreResult> {
  const session = await openSession(modelPath);
  try {
    return await withDuckDb({}, async (connection) => {
      const count = Number((await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM read_parquet(${sqlString(parquetPath)})`)).getRowsJson()[0][0]);
      const scores = new Float32Array(count);
      const labels = new Uint8Array(count);
      let offset = 0;
      let singleRowMs = NaN;
      const stream = streamScores(connection, session, [parquetPath], {
        label: options.label,
        batchSize: options.batchSize,
        onFirstBatch: async (kinds, columns) => {
          singleRowMs = await timeSingleRows(session, [...session.inputNames], kinds, columns, options.singleRowSamples ?? 200);
        },
        modelPath,
      });
      let inferenceMs = 0;
      for await (const batch of stream) {
        inferenceMs += batch.inferenceMs;
        scores.set(batch.scores, offset);
        copyLabels(batch.labels!, labels, offset, options.label);
        offset += batch.rows;
      }
      if (offset !== count) throw new EvaluationError(`read ${offset} rows from ${parquetPath}, expected ${count}`);
      return { scores, labels, rows: count, msPerRow: count > 0 ? inferenceMs / count : 0, singleRowMs, inputNames: [...session.inputNames] };
    });
  } finally {
    await session.release();
  }
}

/** Options of {@link streamScores}. */
export interface StreamScoresOptions {
  /** Label column read alongside (as int32, null as -1); omit to read no label. */
  label?: string;
  /** Extra SQL expressions read as int32 per row (e.g. slice indexes), in order. */
  extra?: string[];
  /** @default 65536 */
  batchSize?: number;
  /** Called once with the first batch's model inputs (e.g. to time single-row calls). */
  onFirstBatch?: (kinds: InputKind[], columns: ColumnArray[]) => Promise<void>;
  /** For error messages. */
  modelPath?: string;
  /** SQL condition on the files' columns: only matching rows are scored (e.g. a hash sample). */
  where?: string;
  /**
   * Read the label through this SQL instead (a class index, or a regression target as float64:
   * then `targets` carries it, NaN where null).
   */
  labelSql?: { sql: string; kind: 'int32' | 'float64' };
  /**
   * The model's raw output instead of P(1): `probabilities` [rows, width] (multiclass) or `value`
   * (regression), in `outputs`; `scores` is then empty.
   */
  output?: { name: 'probabilities'; width: number } | { name: 'value' };
}

/** One batch of scored rows; arrays are reused by nobody and may be kept. */
export interface ScoredBatch {
  rows: number;
  /** P(label = 1) per row. */
  scores: Float32Array;
  /** The label per row (-1 where null), when `label` was asked for. */
  labels?: Int32Array;
  /** The label per row as a number (NaN where null), when `labelSql` reads float64. */
  targets?: Float64Array;
  /** The raw output asked for by `output`, row-major. */
  outputs?: Float32Array;
  /** One array per `extra` expression. */
  extra: Int32Array[];
  inferenceMs: number;
}

/**
 * Scores `files` batch by batch with an open session: at most `batchSize` rows of inputs and
 * scores are held at a time, so a 3M-row batch costs no more memory than one batch.
 * @throws EvaluationError when a column the model needs is missing.
 */
export async function* streamScores(
  connection: DuckDBConnection,
  session: ort.InferenceSession,
  files: string[],
  options: StreamScoresOptions,
): AsyncGenerator<ScoredBatch> {
  const batchSize = options.batchSize ?? 65536;
  const source = `read_parquet([${files.map(sqlString).join(', ')}])`;
  const where = files.join(', ');
  const columnTypes = await describe(connection, where, source);
  const inputNames = [...session.inputNames];
  const missing = [...inputNames, ...(options.label ? [options.label] : [])].filter((name) => !columnTypes.has(name));
  if (missing.length > 0) {
    throw new EvaluationError(
      `${where} lacks column(s) ${missing.map((c) => `"${c}"`).join(', ')} that model ${options.modelPath ?? ''} needs`,
      { details: { missing, path: where, model: options.modelPath } },
    );
  }
  const kinds = inputNames.map((name) => inputKind(session, name, columnTypes.get(name)!));
  const extra = options.extra ?? [];
  const select = [
    ...inputNames.map((c, i) => `CAST(${sqlIdent(c)} AS ${kinds[i] === 'float32' ? 'FLOAT' : 'VARCHAR'})`),
    ...(options.label ? [options.labelSql ? options.labelSql.sql : `coalesce(CAST(${sqlIdent(options.label)} AS INTEGER), -1)`] : []),
    ...extra.map((e) => `CAST(${e} AS INTEGER)`),
  ];
  const reads: ColumnRead[] = [
    ...inputNames.map((name, i) => ({ name, kind: kinds[i] })),
    ...(options.label ? [{ name: options.label, kind: options.labelSql?.kind ?? ('int32' as const) }] : []),
    ...extra.map((_, i) => ({ name: `extra${i}`, kind: 'int32' as const })),
  ];
  // A plain projection streams in file order (DuckDB preserves insertion order), so no sort is needed.
  const result = await connection.stream(`SELECT ${select.join(', ')} FROM ${source}${options.where ? ` WHERE ${options.where}` : ''}`);
  let first = true;
  for await (const batch of readColumnBatches(result, reads, batchSize)) {
    if (first && options.onFirstBatch) await options.onFirstBatch(kinds, batch.columns);
    first = false;
    const feeds: Record<string, ort.Tensor> = {};
    inputNames.forEach((name, i) => (feeds[name] = columnTensor(kinds[i], batch.columns[i], batch.rows)));
    const started = performance.now();
    const outputs = await session.run(feeds);
    const inferenceMs = performance.now() - started;
    const at = inputNames.length;
    const label = options.label ? batch.columns[at] : undefined;
    yield {
      rows: batch.rows,
      scores: options.output ? new Float32Array(0) : positiveProbability(outputs, batch.rows),
      ...(options.output ? { outputs: rawOutput(outputs, options.output, batch.rows) } : {}),
      ...(label ? (label instanceof Float64Array ? { targets: label } : { labels: label as Int32Array }) : {}),
      extra: extra.map((_, i) => batch.columns[at + (options.label ? 1 : 0) + i] as Int32Array),
      inferenceMs,
    };
  }
}

/**
 * Scores rows given as plain objects (e.g. a JSON request body) with an open session and
 * returns P(label = 1) per row. Missing numeric values become NaN, which the model imputes;
 * missing categorical values become '' as in training.
 */
export async function scoreRows(session: ort.InferenceSession, rows: Record<string, FeatureValue>[]): Promise<Float32Array> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const kind = inputKind(session, name);
    if (kind === 'float32') {
      const values = Float32Array.from(rows, (row) => (row[name] == null ? NaN : Number(row[name])));
      feeds[name] = columnTensor(kind, values, rows.length);
    } else {
      feeds[name] = columnTensor(kind, rows.map((row) => (row[name] == null ? '' : String(row[name]))), rows.length);
    }
  }
  return positiveProbability(await session.run(feeds), rows.length);
}

/** Median wall time of `session.run` on one row at a time, over the first `samples` rows; the first call warms up. */
/** Median time of one-row `session.run` calls on the first rows (one warm-up call first), in ms. */
export async function timeSingleRows(
  session: ort.InferenceSession,
  inputNames: string[],
  kinds: InputKind[],
  columns: ColumnArray[],
  samples: number,
): Promise<number> {
  const rows = Math.min(samples, columns[0]?.length ?? 0);
  const times: number[] = [];
  for (let r = -1; r < rows; r++) {
    const row = Math.max(r, 0);
    const feeds: Record<string, ort.Tensor> = {};
    inputNames.forEach((name, i) => (feeds[name] = columnTensor(kinds[i], columns[i].slice(row, row + 1) as ColumnArray, 1)));
    const started = performance.now();
    await session.run(feeds);
    if (r >= 0) times.push(performance.now() - started);
  }
  if (times.length === 0) return NaN;
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function openSession(modelPath: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelPath);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new EvaluationError(`could not load ONNX model ${modelPath}: ${message}`, { cause: err, details: { model: modelPath } });
  }
}

async function describe(connection: DuckDBConnection, path: string, source: string): Promise<Map<string, string>> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    return new Map(reader.getRowObjectsJson().map((row) => [String(row.column_name), String(row.column_type)]));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new EvaluationError(`could not read ${path}: ${message}`, { cause: err, details: { path } });
  }
}

/**
 * The tensor type the model wants for an input: from its metadata when the runtime
 * exposes it, otherwise guessed from the Parquet column type (numbers → float, else string).
 */
function inputKind(session: ort.InferenceSession, name: string, sqlType?: string): InputKind {
  const meta = session.inputMetadata?.find((m) => m.name === name);
  if (meta?.isTensor) {
    if (meta.type === 'float32' || meta.type === 'string') return meta.type;
    throw new EvaluationError(
      `model input "${name}" has type ${meta.type}; the Slipway model contract allows only float and string inputs`,
      { details: { input: name, type: meta.type } },
    );
  }
  if (sqlType === undefined) return 'string';
  return NUMERIC_SQL_TYPE.test(sqlType) ? 'float32' : 'string';
}

function columnTensor(kind: InputKind, values: ColumnArray, rows: number): ort.Tensor {
  return kind === 'float32'
    ? new ort.Tensor('float32', values as Float32Array, [rows, 1])
    : new ort.Tensor('string', values as string[], [rows, 1]);
}

/** Column 1 of `probabilities`; a single-column output is taken to be P(label = 1) already. */
function positiveProbability(outputs: ort.InferenceSession.OnnxValueMapType, rows: number): Float32Array {
  const tensor = outputs[PROBABILITIES];
  if (!tensor || tensor.type !== 'float32') {
    throw new EvaluationError(`model has no float "${PROBABILITIES}" output; the model contract requires one`);
  }
  const data = tensor.data as Float32Array;
  const width = tensor.dims.length === 2 ? tensor.dims[1] : 1;
  if (tensor.dims[0] !== rows || (width !== 1 && width !== 2)) {
    throw new EvaluationError(`"${PROBABILITIES}" has shape [${tensor.dims.join(', ')}], expected [${rows}, 2]`);
  }
  if (width === 1) return Float32Array.from(data);
  const scores = new Float32Array(rows);
  for (let i = 0; i < rows; i++) scores[i] = data[i * 2 + 1];
  return scores;
}

/** The task's output tensor, checked against the contract's shape. */
function rawOutput(outputs: ort.InferenceSession.OnnxValueMapType, output: NonNullable<StreamScoresOptions['output']>, rows: number): Float32Array {
  const tensor = outputs[output.name];
  const width = output.name === 'probabilities' ? output.width : 1;
  if (!tensor || tensor.type !== 'float32' || tensor.dims[0] !== rows || tensor.size !== rows * width) {
    throw new EvaluationError(`model must output float "${output.name}" [${rows}, ${width}]; got ${tensor ? `${tensor.type} [${tensor.dims.join(', ')}]` : 'none'}`);
  }
  return tensor.data as Float32Array;
}

function copyLabels(values: Int32Array, labels: Uint8Array, offset: number, column: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) {
      throw new EvaluationError(`label column "${column}" must be 0 or 1, found ${v} at row ${offset + i}`, {
        details: { column, value: v, row: offset + i },
      });
    }
    labels[offset + i] = v;
  }
}
