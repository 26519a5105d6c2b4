/**
 * Scores Slipway's own logistic-regression models (training/onnx-export.ts) in plain TypeScript,
 * skipping onnxruntime's fixed cost per `run` (a few hundred microseconds, most of a single-row
 * request's server time).
 *
 * Only a model proven to be such an export is accepted: its parameters are read from the ONNX
 * graph, the model is exported again from them, and the bytes must be identical to the ones
 * loaded. Anything else (scikit-learn models, other graphs, another exporter version) returns
 * undefined and stays on onnxruntime. The arithmetic follows the graph op by op in float32
 * (Math.fround after each op) with the same input conversion as scoreRows; onnxruntime's sigmoid
 * is an approximation of its own, so scores agree to float32 tolerance, which
 * test/serving/linear-scorer.test.ts checks on real rows against onnxruntime.
 */
import { onnx } from 'onnx-proto';
import { exportLogisticRegressionOnnx } from '../training/onnx-export';
import type { FeatureRow } from './loaded-model';

/** P(label = 1) per row, computed synchronously. */
export type RowScorer = (rows: FeatureRow[]) => Float32Array;

interface NumericTerm {
  name: string;
  mean: number;
  std: number;
  weight: number;
}

interface CategoricalTerm {
  name: string;
  codes: Map<string, number>;
  weights: Float32Array;
}

const f = Math.fround;

/** The scorer of `bytes` when they are exactly a Slipway logistic-regression export; otherwise undefined. */
export function linearScorer(bytes: Uint8Array): RowScorer | undefined {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const graph = model.graph;
  if (!graph || graph.name !== 'slipway_logistic_regression') return undefined;
  const init = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', floats(t)]));
  const scalar = (name: string): number | undefined => {
    const data = init.get(name);
    return data && data.length === 1 ? data[0] : undefined;
  };
  const numeric: NumericTerm[] = [];
  const categorical: CategoricalTerm[] = [];
  const vocab: Record<string, string[]> = {};
  for (const input of graph.input ?? []) {
    const name = input.name ?? '';
    const type = input.type?.tensorType?.elemType;
    if (type === onnx.TensorProto.DataType.FLOAT) {
      const [mean, std, weight] = ['mean', 'std', 'weight'].map((k) => scalar(`numeric/${name}/${k}`));
      if (mean === undefined || std === undefined || weight === undefined) return undefined;
      numeric.push({ name, mean, std, weight });
    } else if (type === onnx.TensorProto.DataType.STRING) {
      const encoder = (graph.node ?? []).find((n) => n.opType === 'LabelEncoder' && n.input?.[0] === name);
      const keys = encoder?.attribute?.find((a) => a.name === 'keys_strings')?.strings?.map((s) => Buffer.from(s).toString('utf8'));
      const weights = init.get(`categorical/${name}/weights`);
      if (!keys || !weights || new Set(keys).size !== keys.length) return undefined;
      vocab[name] = keys;
      categorical.push({ name, codes: new Map(keys.map((k, i) => [k, i])), weights: Float32Array.from(weights) });
    } else {
      return undefined;
    }
  }
  const bias = scalar('model/bias');
  if (bias === undefined) return undefined;
  // The proof: the same exporter, fed what was read, writes exactly these bytes.
  let again: Uint8Array;
  try {
    again = exportLogisticRegressionOnnx({
      features: { numeric: numeric.map((t) => t.name), categorical: categorical.map((t) => t.name), label: '' },
      encoding: { numeric: Object.fromEntries(numeric.map((t) => [t.name, { mean: t.mean, std: t.std }])), vocab },
      model: { bias, numeric: numeric.map((t) => t.weight), categorical: categorical.map((t) => Array.from(t.weights)) },
      metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
      producerVersion: model.producerVersion ?? undefined,
    });
  } catch {
    return undefined;
  }
  if (!Buffer.from(again).equals(Buffer.from(bytes))) return undefined;
  return (rows) => score(rows, numeric, categorical, f(bias));
}

/** A float initializer's values: raw little-endian bytes, as the exporter writes them (onnx-graph.ts). */
function floats(t: onnx.ITensorProto): number[] {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) return [];
  if (!t.rawData || t.rawData.length === 0) return t.floatData ?? [];
  const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
  return Array.from({ length: Math.floor(t.rawData.byteLength / 4) }, (_, i) => view.getFloat32(i * 4, true));
}

function score(rows: FeatureRow[], numeric: NumericTerm[], categorical: CategoricalTerm[], bias: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    // Sum adds its inputs in graph order (numeric terms, categorical terms, bias), rounding after
    // each addition; the first term is taken as it is. No closure here: under tsx every closure
    // made per row is also named (esbuild's keepNames), which cost more than the arithmetic.
    let logit = 0;
    let first = true;
    for (let i = 0; i < numeric.length; i++) {
      const t = numeric[i];
      const raw = row[t.name];
      // As scoreRows feeds onnxruntime: null → NaN, anything else Number(), then float32.
      let x = f(raw == null ? NaN : Number(raw));
      if (Number.isNaN(x)) x = t.mean;
      const term = f(f(f(x - t.mean) / t.std) * t.weight);
      logit = first ? term : f(logit + term);
      first = false;
    }
    for (let i = 0; i < categorical.length; i++) {
      const t = categorical[i];
      const raw = row[t.name];
      const code = t.codes.get(raw == null ? '' : String(raw)) ?? t.weights.length - 1;
      const term = t.weights[code];
      logit = first ? term : f(logit + term);
      first = false;
    }
    logit = first ? bias : f(logit + bias);
    out[r] = f(1 / (1 + Math.exp(-logit)));
  }
  return out;
}
