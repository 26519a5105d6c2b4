/**
 * Open Inference Protocol (KServe V2) inference bodies, decoded into feature rows and encoded
 * from scores (pure). Two request forms: one tensor per model input (`[n]` or `[n, 1]`), or one
 * row-major tensor `[n, inputs]` whose columns follow the model metadata's input order. Tensor
 * data comes as JSON (flat or nested) or through the binary tensor data extension. Hand-checked
 * rather than zod, like predict-body.ts: this is the hot path.
 */
import type { FeatureRow, ModelInput } from '../loaded-model';
import { BINARY, type ServedTask } from '../model-task';
import { BinaryReader, NUMERIC_TYPES, type Datatype } from './binary-tensors';


/** An output of the protocol's model metadata. */
export interface OutputSpec {
  name: string;
  datatype: 'FP32' | 'INT64' | 'BYTES';
  shape: readonly number[];
}

/** The outputs of a binary model: P(label = 1), and the label it implies at 0.5. */
export const OUTPUTS: readonly OutputSpec[] = [
  { name: 'probability', datatype: 'FP32', shape: [-1] },
  { name: 'label', datatype: 'INT64', shape: [-1] },
];

/**
 * The outputs a model answers, per task: binary as {@link OUTPUTS}; multiclass the predicted
 * class name (`label`, BYTES) and every class's probability (`probabilities`, FP32 [n, K] in the
 * order of the model's classes); regression the predicted `value` (FP32).
 */
export function outputsFor(task: ServedTask): readonly OutputSpec[] {
  if (task.task === 'multiclass') {
    return [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, task.classes.length] },
    ];
  }
  return task.task === 'regression' ? [{ name: 'value', datatype: 'FP32', shape: [-1] }] : OUTPUTS;
}
type OutputName = string;

export interface RequestedOutput {
  name: OutputName;
  /** Answer this output in the binary extension instead of JSON. */
  binary: boolean;
}

export type DecodedInfer =
  | { ok: true; id?: string; rows: FeatureRow[]; routingKey?: string; outputs: RequestedOutput[] }
  | { ok: false; error: string };

const MAX_ID = 256;
const MAX_TENSORS = 256;

interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  values: ArrayLike<number | string | boolean>;
}

/**
 * Checks an inference request against the model's inputs and turns it into rows.
 * @param binary the bytes after the JSON header (binary tensor data extension), if any
 */
export function decodeInferRequest(body: unknown, binary: Buffer | undefined, inputs: readonly ModelInput[], maxBatch: number, task: ServedTask = BINARY): DecodedInfer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('request body: send a JSON object with "inputs"');
  const { id, parameters, inputs: tensors, outputs } = body as Record<string, unknown>;
  if (id !== undefined && (typeof id !== 'string' || id.length > MAX_ID)) return fail(`"id": a string of at most ${MAX_ID} characters`);
  const params = parameters === undefined ? {} : parameters;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return fail('"parameters": an object');
  const { routing_key: routingKey, binary_data_output: binaryOutput } = params as Record<string, unknown>;
  if (routingKey !== undefined && (typeof routingKey !== 'string' || routingKey.length === 0 || routingKey.length > MAX_ID)) {
    return fail(`"parameters.routing_key": a string of 1 to ${MAX_ID} characters`);
  }
  if (binaryOutput !== undefined && typeof binaryOutput !== 'boolean') return fail('"parameters.binary_data_output": true or false');
  if (!Array.isArray(tensors) || tensors.length === 0 || tensors.length > MAX_TENSORS) return fail(`"inputs": an array of 1 to ${MAX_TENSORS} tensors`);

  const reader = new BinaryReader(binary);
  const decoded: Tensor[] = [];
  for (let i = 0; i < tensors.length; i++) {
    const t = readTensor(tensors[i], i, reader);
    if (typeof t === 'string') return fail(t);
    decoded.push(t);
  }
  if (!reader.done) return fail(`the binary part has ${reader.left} bytes that no input's "binary_data_size" accounts for`);

  const requested = readOutputs(outputs, binaryOutput === true, outputsFor(task));
  if (typeof requested === 'string') return fail(requested);
  const rows = isRowMajor(decoded, inputs) ? rowMajorRows(decoded[0], inputs, maxBatch) : columnRows(decoded, inputs, maxBatch);
  if (typeof rows === 'string') return fail(rows);
  return { ok: true, ...(id !== undefined ? { id } : {}), rows, ...(routingKey !== undefined ? { routingKey } : {}), outputs: requested };
}

function readTensor(raw: unknown, i: number, reader: BinaryReader): Tensor | string {
  const where = `inputs[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${where}: a tensor object {"name", "datatype", "shape", "data"}`;
  const { name, datatype, shape, data, parameters } = raw as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0) return `${where}.name: a non-empty string`;
  const at = `input "${name}"`;
  if (typeof datatype !== 'string' || !(datatype === 'BYTES' || datatype in NUMERIC_TYPES)) {
    return `${at}: datatype ${JSON.stringify(datatype)} is not supported; use FP32, FP64, INT32, INT64 (or another integer type, BOOL) for numeric inputs and BYTES for categorical ones`;
  }
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    return `${at}: shape ${JSON.stringify(shape)} must be [n] or [n, columns] with non-negative integers`;
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const size = (parameters as Record<string, unknown> | undefined)?.binary_data_size;
  let values: ArrayLike<number | string | boolean> | string;
  if (size !== undefined) {
    if (data !== undefined) return `${at}: send "data" or "parameters.binary_data_size", not both`;
    if (!Number.isInteger(size) || (size as number) < 0) return `${at}: parameters.binary_data_size must be a non-negative integer`;
    values = reader.read(datatype as Datatype, size as number, count, at);
  } else {
    if (!Array.isArray(data)) return `${at}: "data" must be an array (flat or nested, row-major)`;
    values = jsonValues(data, datatype as Datatype, at);
  }
  if (typeof values === 'string') return values;
  if (values.length !== count) return `${at}: shape [${(shape as number[]).join(', ')}] holds ${count} values, "data" has ${values.length}`;
  return { name, datatype: datatype as Datatype, shape: shape as number[], values };
}

function jsonValues(data: unknown[], datatype: Datatype, at: string): Array<number | string | boolean> | string {
  const flat = data.some(Array.isArray) ? (data.flat(Infinity) as unknown[]) : data;
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    const ok =
      datatype === 'BYTES'
        ? typeof v === 'string'
        : datatype === 'BOOL'
          ? typeof v === 'boolean'
          : typeof v === 'number' && (datatype === 'FP32' || datatype === 'FP64' || (Number.isInteger(v) && (v >= 0 || datatype.startsWith('INT'))));
    if (!ok) return `${at}: element ${i} is ${JSON.stringify(v)}, not a ${datatype} value`;
  }
  return flat as Array<number | string | boolean>;
}

/** One tensor whose name is not a model input and whose columns match the inputs: the row-major form. */
function isRowMajor(tensors: Tensor[], inputs: readonly ModelInput[]): boolean {
  const [t] = tensors;
  return tensors.length === 1 && t.shape.length === 2 && !inputs.some((i) => i.name === t.name) && (t.shape[1] !== 1 || inputs.length === 1);
}

function rowMajorRows(t: Tensor, inputs: readonly ModelInput[], maxBatch: number): FeatureRow[] | string {
  const [n, k] = t.shape;
  const at = `input "${t.name}"`;
  if (k !== inputs.length) return `${at}: a row-major tensor needs one column per model input, [n, ${inputs.length}] in the order ${inputs.map((i) => i.name).join(', ')}; got [${n}, ${k}]`;
  if (n < 1 || n > maxBatch) return `${at}: ${n} rows; send 1 to ${maxBatch}`;
  if (t.datatype !== 'BYTES') {
    const text = inputs.find((i) => i.kind === 'string');
    if (text) return `${at}: is ${t.datatype} but input "${text.name}" is categorical (BYTES); send one tensor per input, or a BYTES row-major tensor`;
  }
  const rows = new Array<FeatureRow>(n);
  for (let r = 0; r < n; r++) {
    const row: FeatureRow = {};
    for (let c = 0; c < k; c++) {
      const input = inputs[c];
      const v = t.values[r * k + c];
      if (input.kind === 'string' || typeof v !== 'string') row[input.name] = typeof v === 'boolean' ? Number(v) : v;
      else if (v === '') row[input.name] = null;
      else {
        const x = Number(v);
        if (!Number.isFinite(x)) return `${at}: row ${r}, column ${c} ("${input.name}", numeric) is ${JSON.stringify(v)}, not a number`;
        row[input.name] = x;
      }
    }
    rows[r] = row;
  }
  return rows;
}

function columnRows(tensors: Tensor[], inputs: readonly ModelInput[], maxBatch: number): FeatureRow[] | string {
  const byName = new Map<string, Tensor>();
  for (const t of tensors) {
    const input = inputs.find((i) => i.name === t.name);
    if (!input) {
      return `input "${t.name}" is not an input of this model; its inputs are ${inputs.map((i) => `${i.name} (${i.kind === 'string' ? 'BYTES' : 'FP32'})`).join(', ')}, or one row-major tensor [n, ${inputs.length}]`;
    }
    if (byName.has(t.name)) return `input "${t.name}" is sent twice`;
    if (t.shape.length === 2 && t.shape[1] !== 1) return `input "${t.name}": shape [${t.shape.join(', ')}]; one column per input is [n] or [n, 1]`;
    if ((input.kind === 'string') !== (t.datatype === 'BYTES')) {
      return `input "${t.name}" is ${input.kind === 'string' ? 'categorical: send BYTES' : 'numeric: send FP32, FP64, INT32 or INT64'}, not ${t.datatype}`;
    }
    byName.set(t.name, t);
  }
  const missing = inputs.filter((i) => !byName.has(i.name));
  if (missing.length > 0) return `missing input(s) ${missing.map((i) => `"${i.name}"`).join(', ')}; the model reads ${inputs.map((i) => i.name).join(', ')}`;
  const n = tensors[0].shape[0];
  const uneven = tensors.find((t) => t.shape[0] !== n);
  if (uneven) return `input "${uneven.name}" has ${uneven.shape[0]} rows, input "${tensors[0].name}" ${n}; every input needs the same number`;
  if (n < 1 || n > maxBatch) return `inputs have ${n} rows; send 1 to ${maxBatch}`;
  const rows = new Array<FeatureRow>(n);
  for (let r = 0; r < n; r++) rows[r] = {};
  for (const t of tensors) {
    const { values, name } = t;
    for (let r = 0; r < n; r++) {
      const v = values[r];
      rows[r][name] = typeof v === 'boolean' ? Number(v) : v;
    }
  }
  return rows;
}

function readOutputs(raw: unknown, binaryByDefault: boolean, specs: readonly OutputSpec[]): RequestedOutput[] | string {
  if (raw === undefined) return specs.map((o) => ({ name: o.name, binary: binaryByDefault }));
  if (!Array.isArray(raw) || raw.length === 0) return '"outputs": an array of {"name"} (omit it for every output)';
  const seen = new Set<string>();
  const out: RequestedOutput[] = [];
  for (const o of raw) {
    const name = (o as { name?: unknown } | null)?.name;
    if (!specs.some((x) => x.name === name)) return `output ${JSON.stringify(name)} does not exist; the outputs are ${specs.map((x) => x.name).join(', ')}`;
    if (seen.has(name as string)) return `output "${name as string}" is requested twice`;
    seen.add(name as string);
    const flag = (o as { parameters?: { binary_data?: unknown } }).parameters?.binary_data;
    if (flag !== undefined && typeof flag !== 'boolean') return `output "${name as string}": parameters.binary_data must be true or false`;
    out.push({ name: name as OutputName, binary: flag ?? binaryByDefault });
  }
  return out;
}

/** What to answer: the JSON document and, when an output is binary, the bytes that follow it. */
export interface EncodedInfer {
  json: Record<string, unknown>;
  binary: Buffer[];
}

/**
 * The inference response: the requested outputs of `scores` (read per `task`, inference.ts),
 * JSON or binary each. Outputs the task does not have are left out (a request's outputs were
 * checked against the task its model serves; one deployment serves one task).
 */
export function encodeInferResponse(
  r: { model: string; version: number; id?: string; parameters?: Record<string, string> },
  scores: Float32Array,
  outputs: readonly RequestedOutput[],
  task: ServedTask = BINARY,
): EncodedInfer {
  const binary: Buffer[] = [];
  const tensors = [];
  for (const { name, datatype, shape, values, binary: asBytes } of responseTensors(scores, outputs, task)) {
    if (asBytes) {
      const bytes = tensorBytes(datatype, values);
      binary.push(bytes);
      tensors.push({ name, datatype, shape, parameters: { binary_data_size: bytes.length } });
    } else {
      tensors.push({ name, datatype, shape, data: values instanceof Float32Array ? Array.from(values) : values });
    }
  }
  const json = {
    model_name: r.model,
    model_version: String(r.version),
    ...(r.id !== undefined ? { id: r.id } : {}),
    ...(r.parameters ? { parameters: r.parameters } : {}),
    outputs: tensors,
  };
  return { json, binary };
}

/**
 * The same document as `JSON.stringify(encodeInferResponse(...).json)` when every requested output
 * is JSON, written straight to text: no document object, no `Array.from` of the scores.
 * tensors.test.ts compares the two byte for byte for every task.
 */
export function encodeInferResponseText(
  r: { model: string; version: number; id?: string; parameters?: Record<string, string> },
  scores: Float32Array,
  outputs: readonly RequestedOutput[],
  task: ServedTask = BINARY,
): string {
  let text = `{"model_name":${JSON.stringify(r.model)},"model_version":"${r.version}"`;
  if (r.id !== undefined) text += `,"id":${JSON.stringify(r.id)}`;
  if (r.parameters) text += `,"parameters":${JSON.stringify(r.parameters)}`;
  text += ',"outputs":[';
  let first = true;
  for (const { name, datatype, shape, values } of responseTensors(scores, outputs, task)) {
    text += `${first ? '' : ','}{"name":${JSON.stringify(name)},"datatype":"${datatype}","shape":[${shape.join(',')}],"data":[`;
    first = false;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // JSON.stringify's own spelling: strings quoted and escaped, non-finite numbers as null.
      text += (i === 0 ? '' : ',') + (typeof v === 'string' ? JSON.stringify(v) : Number.isFinite(v) ? String(v) : 'null');
    }
    text += ']}';
  }
  return `${text}]}`;
}

/** The requested outputs the task has, in the requested order, each with its shape and values. */
function responseTensors(scores: Float32Array, outputs: readonly RequestedOutput[], task: ServedTask) {
  const specs = outputsFor(task);
  const width = task.task === 'multiclass' ? task.classes.length : 1;
  const n = scores.length / width;
  const tensors: Array<{ name: string; datatype: OutputSpec['datatype']; shape: number[]; values: Float32Array | number[] | string[]; binary: boolean }> = [];
  for (const o of outputs) {
    const spec = specs.find((x) => x.name === o.name);
    if (!spec) continue;
    tensors.push({ name: o.name, datatype: spec.datatype, shape: spec.shape.length === 2 ? [n, width] : [n], values: outputValues(task, o.name, scores, n), binary: o.binary });
  }
  return tensors;
}

/** One output's values: floats as they are, labels as 0/1 (binary) or class names (multiclass). */
function outputValues(task: ServedTask, name: string, scores: Float32Array, n: number): Float32Array | number[] | string[] {
  if (task.task === 'binary' && name === 'label') {
    const labels = new Array<number>(n);
    for (let i = 0; i < n; i++) labels[i] = scores[i] >= 0.5 ? 1 : 0;
    return labels;
  }
  if (task.task === 'multiclass' && name === 'label') return topClasses(task.classes, scores);
  return scores;
}

/** The most probable class of each row of row-major probabilities (the first on a tie, like ArgMax). */
export function topClasses(classes: readonly string[], probabilities: ArrayLike<number>): string[] {
  const k = classes.length;
  const n = probabilities.length / k;
  const out = new Array<string>(n);
  for (let r = 0; r < n; r++) {
    let top = 0;
    for (let c = 1; c < k; c++) if (probabilities[r * k + c] > probabilities[r * k + top]) top = c;
    out[r] = classes[top];
  }
  return out;
}

/** The binary tensor data extension's bytes: little-endian numbers; BYTES as 4-byte length + UTF-8 each. */
function tensorBytes(datatype: OutputSpec['datatype'], values: Float32Array | number[] | string[]): Buffer {
  if (datatype === 'FP32') {
    const f = values as Float32Array;
    return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  }
  if (datatype === 'INT64') {
    const out = Buffer.alloc(values.length * 8);
    for (let i = 0; i < values.length; i++) out.writeBigInt64LE(BigInt(values[i] as number), i * 8);
    return out;
  }
  return Buffer.concat(
    (values as string[]).flatMap((v) => {
      const text = Buffer.from(v, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(text.length);
      return [length, text];
    }),
  );
}

const fail = (error: string): DecodedInfer => ({ ok: false, error });
