/**
 * ONNX export of the multiclass (softmax) and regression (ridge) models, following the model
 * contract per task (ARCHITECTURE.md): raw columns in, with the same imputation, standardisation
 * and category lookup inside the graph as the binary model.
 *
 * multiclass: `label` tensor(string) [N] (the class name), `probabilities` tensor(float) [N, K] in
 *             the order of the `slipway.classes` metadata (a JSON list);
 * regression: `value` tensor(float) [N, 1], as skl2onnx writes a regressor's output.
 */
import { onnx } from 'onnx-proto';
import { TrainingError } from '../errors';
import type { FeatureSpec } from './feature-spec';
import type { FeatureEncoding } from './load-training-data';
import { ONNX_OPSETS } from './onnx-export';
import { GraphBuilder, intAttribute, intsAttribute, stringsAttribute, tensorValueInfo } from './onnx-graph';
import type { RidgeModel } from './ridge-regression';
import type { SoftmaxModel } from './softmax-regression';

const { DataType } = onnx.TensorProto;
const IR_VERSION = 7;

/** Output names per task, fixed by the contract; no feature column may use them. */
export const TASK_OUTPUTS = {
  multiclass: { label: 'label', probabilities: 'probabilities' },
  regression: { value: 'value' },
} as const;

interface CommonInput {
  features: FeatureSpec;
  encoding: FeatureEncoding;
  /** Written to metadata_props, sorted by key, next to `slipway.task` (and `slipway.classes`). */
  metadata?: Record<string, string>;
  /** @default '0.0.0' */
  producerVersion?: string;
}

/**
 * Serialises a softmax model; `classes` names the model's classes in weight order.
 * @throws TrainingError when the weights do not match the features or classes, or a name clashes.
 */
export function exportSoftmaxOnnx(input: CommonInput & { model: SoftmaxModel; classes: string[] }): Uint8Array {
  const { features, encoding, model, classes } = input;
  const K = classes.length;
  if (K < 2 || model.bias.length !== K) throw new TrainingError(`the model has ${model.bias.length} class weights for ${K} classes`);
  checkShape(features, encoding, model.numeric.length, model.categorical.map((c) => c.length));
  const graph = new GraphBuilder();
  graph.int64s('model/rows_by_classes', [-1, K]);
  const terms = featureTerms(graph, features, encoding, {
    numeric: (j) => ({ values: model.numeric[j], dims: [K] }),
    // Gather of [codes, K] weights by [N, 1] codes gives [N, 1, K]; reshaped to [N, K] below.
    categorical: (c) => ({ values: model.categorical[c].flat(), dims: [model.categorical[c].length, K], reshape: 'model/rows_by_classes' }),
  });
  graph.floats('model/bias', model.bias);
  graph.node('Sum', [...terms, 'model/bias'], ['model/logits']);
  graph.node('Softmax', ['model/logits'], [TASK_OUTPUTS.multiclass.probabilities], '', [intAttribute('axis', 1)]);
  graph.node('ArgMax', [TASK_OUTPUTS.multiclass.probabilities], ['model/class_index'], '', [intAttribute('axis', 1), intAttribute('keepdims', 0)]);
  graph.node('LabelEncoder', ['model/class_index'], [TASK_OUTPUTS.multiclass.label], 'ai.onnx.ml', [
    intsAttribute('keys_int64s', classes.map((_, k) => k)),
    stringsAttribute('values_strings', classes),
  ]);
  graph.assertNoClash([...features.numeric, ...features.categorical]);
  return encodeModel(input, graph, 'slipway_softmax_regression', { 'slipway.task': 'multiclass', 'slipway.classes': JSON.stringify(classes) }, [
    tensorValueInfo(TASK_OUTPUTS.multiclass.label, DataType.STRING, ['N']),
    tensorValueInfo(TASK_OUTPUTS.multiclass.probabilities, DataType.FLOAT, ['N', K]),
  ]);
}

/**
 * Serialises a ridge model.
 * @throws TrainingError when the weights do not match the features, or a name clashes.
 */
export function exportRidgeOnnx(input: CommonInput & { model: RidgeModel }): Uint8Array {
  const { features, encoding, model } = input;
  checkShape(features, encoding, model.numeric.length, model.categorical.map((c) => c.length));
  const graph = new GraphBuilder();
  const terms = featureTerms(graph, features, encoding, {
    numeric: (j) => ({ values: [model.numeric[j]], dims: [1] }),
    categorical: (c) => ({ values: model.categorical[c], dims: [model.categorical[c].length] }),
  });
  graph.floats('model/bias', [model.bias]);
  graph.node('Sum', [...terms, 'model/bias'], [TASK_OUTPUTS.regression.value]);
  graph.assertNoClash([...features.numeric, ...features.categorical]);
  return encodeModel(input, graph, 'slipway_ridge_regression', { 'slipway.task': 'regression' }, [
    tensorValueInfo(TASK_OUTPUTS.regression.value, DataType.FLOAT, ['N', 1]),
  ]);
}

interface Weights {
  values: ArrayLike<number>;
  dims: number[];
  /** Name of an int64 shape initializer to reshape the gathered term to. */
  reshape?: string;
}

/** One term per feature: numeric x → impute the mean, standardise, × weight; categorical s → code → weights[code]. */
function featureTerms(
  graph: GraphBuilder,
  features: FeatureSpec,
  encoding: FeatureEncoding,
  weights: { numeric: (j: number) => Weights; categorical: (c: number) => Weights },
): string[] {
  const terms: string[] = [];
  features.numeric.forEach((column, j) => {
    const stats = encoding.numeric[column];
    const p = `numeric/${column}`;
    const w = weights.numeric(j);
    graph.floats(`${p}/mean`, [stats.mean]);
    graph.floats(`${p}/std`, [stats.std]);
    graph.floats(`${p}/weight`, w.values, w.dims);
    graph.node('IsNaN', [column], [`${p}/is_nan`]);
    graph.node('Where', [`${p}/is_nan`, `${p}/mean`, column], [`${p}/imputed`]);
    graph.node('Sub', [`${p}/imputed`, `${p}/mean`], [`${p}/centred`]);
    graph.node('Div', [`${p}/centred`, `${p}/std`], [`${p}/standardised`]);
    graph.node('Mul', [`${p}/standardised`, `${p}/weight`], [`${p}/term`]);
    terms.push(`${p}/term`);
  });
  features.categorical.forEach((column, c) => {
    const vocab = encoding.vocab[column];
    const p = `categorical/${column}`;
    const w = weights.categorical(c);
    graph.floats(`${p}/weights`, w.values, w.dims);
    graph.node('LabelEncoder', [column], [`${p}/code`], 'ai.onnx.ml', [
      stringsAttribute('keys_strings', vocab),
      intsAttribute('values_int64s', vocab.map((_, i) => i)),
      intAttribute('default_int64', vocab.length),
    ]);
    if (w.reshape === undefined) {
      graph.node('Gather', [`${p}/weights`, `${p}/code`], [`${p}/term`], '', [intAttribute('axis', 0)]);
    } else {
      graph.node('Gather', [`${p}/weights`, `${p}/code`], [`${p}/gathered`], '', [intAttribute('axis', 0)]);
      graph.node('Reshape', [`${p}/gathered`, w.reshape], [`${p}/term`]);
    }
    terms.push(`${p}/term`);
  });
  return terms;
}

function encodeModel(input: CommonInput, graph: GraphBuilder, name: string, taskMetadata: Record<string, string>, output: onnx.IValueInfoProto[]): Uint8Array {
  const { features } = input;
  const metadata = { ...input.metadata, ...taskMetadata };
  const modelProto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'slipway',
    producerVersion: input.producerVersion ?? '0.0.0',
    opsetImport: Object.entries(ONNX_OPSETS).map(([domain, version]) => ({ domain: domain === 'ai.onnx' ? '' : domain, version })),
    metadataProps: Object.keys(metadata)
      .sort()
      .map((key) => ({ key, value: metadata[key] })),
    graph: {
      name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [
        ...features.numeric.map((c) => tensorValueInfo(c, DataType.FLOAT, ['N', 1])),
        ...features.categorical.map((c) => tensorValueInfo(c, DataType.STRING, ['N', 1])),
      ],
      output,
    },
  });
  return onnx.ModelProto.encode(modelProto).finish();
}

function checkShape(features: FeatureSpec, encoding: FeatureEncoding, numericWeights: number, categoricalWeights: number[]): void {
  if (numericWeights !== features.numeric.length || categoricalWeights.length !== features.categorical.length) {
    throw new TrainingError('model weights do not match the feature spec');
  }
  features.categorical.forEach((column, c) => {
    const vocab = encoding.vocab[column];
    if (!vocab || vocab.length === 0) throw new TrainingError(`categorical column "${column}" has an empty vocabulary`, { details: { column } });
    if (categoricalWeights[c] !== vocab.length + 1) {
      throw new TrainingError(`column "${column}" has ${categoricalWeights[c]} weights for ${vocab.length} categories + OOV`);
    }
  });
}
