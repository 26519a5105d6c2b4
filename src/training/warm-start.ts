/**
 * Warm starts of the built-in logistic regression: the champion's weights, read back from its
 * ONNX graph (onnx-export.ts writes them as named initializers), mapped onto the encoding the new
 * training data learned, so the fit starts where the champion's predictions are and moves only as
 * far as the new rows pull it. The mapping is exact for every value the champion knew: the logit of
 * each row (without nulls) is the champion's at the first step.
 */
import { onnx } from 'onnx-proto';
import { TrainingError } from '../errors';
import type { FeatureSpec } from './feature-spec';
import type { FeatureEncoding } from './load-training-data';
import type { LogisticModel } from './logistic-regression';

/** A fitted binary model as its graph holds it: weights and the encoding they apply to. */
export interface StoredLogisticModel {
  model: LogisticModel;
  encoding: FeatureEncoding;
}

/**
 * Reads a built-in logistic regression back from its ONNX bytes.
 * @throws TrainingError when the graph is not one the built-in binary trainer wrote for these features
 */
export function readLogisticModel(bytes: Uint8Array, features: Pick<FeatureSpec, 'numeric' | 'categorical'>): StoredLogisticModel {
  const proto = onnx.ModelProto.decode(bytes);
  const graph = proto.graph;
  if (graph?.name !== 'slipway_logistic_regression') {
    throw new TrainingError(`warm start: the champion is not a built-in logistic regression (graph "${graph?.name ?? ''}"); train without warmStart`);
  }
  const floats = new Map<string, number[]>();
  for (const t of graph.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.rawData) continue;
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    floats.set(t.name ?? '', Array.from({ length: t.rawData.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true)));
  }
  const need = (name: string): number[] => {
    const v = floats.get(name);
    if (!v) throw new TrainingError(`warm start: the champion's graph has no "${name}"; its features differ from this training's (train without warmStart)`, { details: { initializer: name } });
    return v;
  };
  const encoding: FeatureEncoding = { numeric: {}, vocab: {} };
  const numeric = features.numeric.map((column) => {
    encoding.numeric[column] = { mean: need(`numeric/${column}/mean`)[0], std: need(`numeric/${column}/std`)[0] };
    return need(`numeric/${column}/weight`)[0];
  });
  const decoder = new TextDecoder();
  const categorical = features.categorical.map((column) => {
    const encoder = graph.node?.find((n) => n.opType === 'LabelEncoder' && n.input?.[0] === column);
    const keys = encoder?.attribute?.find((a) => a.name === 'keys_strings')?.strings;
    if (!keys) throw new TrainingError(`warm start: the champion's graph has no vocabulary for "${column}" (train without warmStart)`, { details: { column } });
    encoding.vocab[column] = keys.map((k) => decoder.decode(k));
    return need(`categorical/${column}/weights`);
  });
  return { model: { bias: need('model/bias')[0], numeric, categorical }, encoding };
}

/**
 * The champion's weights on the new encoding. A numeric weight is rescaled to the new
 * standardisation (its offset moves into the bias); a category keeps the champion's weight, and
 * one the champion did not know starts from the champion's out-of-vocabulary weight.
 */
export function mapWarmStart(from: StoredLogisticModel, to: FeatureEncoding, features: Pick<FeatureSpec, 'numeric' | 'categorical'>): LogisticModel {
  let bias = from.model.bias;
  const numeric = features.numeric.map((column, j) => {
    const old = from.encoding.numeric[column];
    const now = to.numeric[column];
    const w = from.model.numeric[j];
    // w·(x − m)/s = (w·s′/s)·(x − m′)/s′ + w·(m′ − m)/s
    bias += (w * (now.mean - old.mean)) / old.std;
    return (w * now.std) / old.std;
  });
  const categorical = features.categorical.map((column, c) => {
    const weights = from.model.categorical[c];
    const known = new Map(from.encoding.vocab[column].map((v, i) => [v, weights[i]]));
    const oov = weights[weights.length - 1];
    return [...to.vocab[column].map((v) => known.get(v) ?? oov), oov];
  });
  return { bias, numeric, categorical };
}
