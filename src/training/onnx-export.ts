/**
 * Writes a fitted logistic regression as a self-contained ONNX model following the
 * Slipway model contract (ARCHITECTURE.md): raw columns in, `label` and `probabilities`
 * out, with imputation, standardisation and category lookup inside the graph.
 */
import { onnx } from 'onnx-proto';
import { GraphBuilder, intAttribute, intsAttribute, stringsAttribute, tensorValueInfo } from './onnx-graph';
import { TrainingError } from '../errors';
import type { FeatureSpec } from './feature-spec';
import type { FeatureEncoding } from './load-training-data';
import type { LogisticModel } from './logistic-regression';

/** What {@link exportLogisticRegressionOnnx} needs. */
export interface OnnxExportInput {
  features: FeatureSpec;
  /** The training data's encoding; its vocabulary order must match the model's category weights. */
  encoding: FeatureEncoding;
  model: LogisticModel;
  /** Written to the model's metadata_props, sorted by key. Keep it free of timestamps. */
  metadata?: Record<string, string>;
  /** @default '0.0.0' */
  producerVersion?: string;
}

/** Output names fixed by the contract; no feature column may use them. */
export const ONNX_OUTPUTS = { label: 'label', probabilities: 'probabilities' } as const;
/** Opsets the exported graph declares; onnxruntime-node 1.30 runs LabelEncoder v2 from ai.onnx.ml 2. */
export const ONNX_OPSETS = { 'ai.onnx': 13, 'ai.onnx.ml': 2 } as const;
// IR 7 is the version paired with opset 13.
const IR_VERSION = 7;

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

/**
 * Serialises the model. Identical inputs give identical bytes: no clocks, no random names,
 * and nodes, initializers and metadata always in the same order.
 * @throws TrainingError when a feature is named like an output or internal value, or a vocabulary is empty.
 */
export function exportLogisticRegressionOnnx(input: OnnxExportInput): Uint8Array {
  const { features, encoding, model } = input;
  checkShape(input);
  const graph = new GraphBuilder();
  const terms: string[] = [];

  features.numeric.forEach((column, j) => {
    const stats = encoding.numeric[column];
    const p = `numeric/${column}`;
    graph.floats(`${p}/mean`, [stats.mean]);
    graph.floats(`${p}/std`, [stats.std]);
    graph.floats(`${p}/weight`, [model.numeric[j]]);
    // Null becomes NaN on the way in; replacing it with the mean matches training's imputation.
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
    graph.floats(`${p}/weights`, model.categorical[c]);
    graph.node('LabelEncoder', [column], [`${p}/code`], 'ai.onnx.ml', [
      stringsAttribute('keys_strings', vocab),
      intsAttribute('values_int64s', vocab.map((_, i) => i)),
      intAttribute('default_int64', vocab.length),
    ]);
    graph.node('Gather', [`${p}/weights`, `${p}/code`], [`${p}/term`], '', [intAttribute('axis', 0)]);
    terms.push(`${p}/term`);
  });

  graph.floats('model/bias', [model.bias]);
  graph.floats('model/one', [1]);
  graph.node('Sum', [...terms, 'model/bias'], ['model/logit']);
  graph.node('Sigmoid', ['model/logit'], ['model/p1']);
  graph.node('Sub', ['model/one', 'model/p1'], ['model/p0']);
  graph.node('Concat', ['model/p0', 'model/p1'], [ONNX_OUTPUTS.probabilities], '', [intAttribute('axis', 1)]);
  // ArgMax keeps the first maximum, so p = 0.5 predicts 0, as scikit-learn does.
  graph.node('ArgMax', [ONNX_OUTPUTS.probabilities], [ONNX_OUTPUTS.label], '', [
    intAttribute('axis', 1),
    intAttribute('keepdims', 0),
  ]);
  graph.assertNoClash([...features.numeric, ...features.categorical]);

  const modelProto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'slipway',
    producerVersion: input.producerVersion ?? '0.0.0',
    opsetImport: Object.entries(ONNX_OPSETS).map(([domain, version]) => ({
      domain: domain === 'ai.onnx' ? '' : domain,
      version,
    })),
    metadataProps: Object.keys(input.metadata ?? {})
      .sort()
      .map((key) => ({ key, value: input.metadata![key] })),
    graph: {
      name: 'slipway_logistic_regression',
      node: graph.nodes,
      initializer: graph.initializers,
      input: [
        ...features.numeric.map((c) => tensorValueInfo(c, DataType.FLOAT, ['N', 1])),
        ...features.categorical.map((c) => tensorValueInfo(c, DataType.STRING, ['N', 1])),
      ],
      output: [
        tensorValueInfo(ONNX_OUTPUTS.label, DataType.INT64, ['N']),
        tensorValueInfo(ONNX_OUTPUTS.probabilities, DataType.FLOAT, ['N', 2]),
      ],
    },
  });
  return onnx.ModelProto.encode(modelProto).finish();
}

function checkShape({ features, encoding, model }: OnnxExportInput): void {
  if (model.numeric.length !== features.numeric.length || model.categorical.length !== features.categorical.length) {
    throw new TrainingError('model weights do not match the feature spec');
  }
  features.categorical.forEach((column, c) => {
    const vocab = encoding.vocab[column];
    if (!vocab || vocab.length === 0) {
      throw new TrainingError(`categorical column "${column}" has an empty vocabulary`, { details: { column } });
    }
    if (model.categorical[c].length !== vocab.length + 1) {
      throw new TrainingError(`column "${column}" has ${model.categorical[c].length} weights for ${vocab.length} categories + OOV`);
    }
  });
}
