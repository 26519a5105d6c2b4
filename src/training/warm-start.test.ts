import { describe, expect, it } from 'vitest';
import { TrainingError } from '../errors';
import type { FeatureEncoding } from './load-training-data';
import { fitLogisticRegression, mulberry32, type DesignMatrix, type LogisticModel } from './logistic-regression';
import { exportLogisticRegressionOnnx } from './onnx-export';
import { exportRidgeOnnx } from './onnx-export-tasks';
import { mapWarmStart, readLogisticModel } from './warm-start';

const features = { numeric: ['distance'], categorical: ['origin'] };
const champion: LogisticModel = { bias: -1.2, numeric: [0.4], categorical: [[0.3, -0.2, 0.1, -0.05]] };
const oldEncoding: FeatureEncoding = { numeric: { distance: { mean: 800, std: 500 } }, vocab: { origin: ['ORD', 'ATL', 'DFW'] } };
const bytes = () => exportLogisticRegressionOnnx({ features: { ...features, label: 'label' }, encoding: oldEncoding, model: champion });

/** The logit a model gives a raw row under its encoding, as the ONNX graph computes it. */
function logit(model: LogisticModel, encoding: FeatureEncoding, distance: number, origin: string): number {
  const vocab = encoding.vocab.origin;
  const code = vocab.indexOf(origin) < 0 ? vocab.length : vocab.indexOf(origin);
  const { mean, std } = encoding.numeric.distance;
  return model.bias + (model.numeric[0] * (distance - mean)) / std + model.categorical[0][code];
}

describe('warm start', () => {
  it('reads the weights and encoding back from the graph the built-in trainer writes', () => {
    const stored = readLogisticModel(bytes(), features);
    expect(stored.encoding).toEqual(oldEncoding);
    expect(stored.model.bias).toBeCloseTo(champion.bias, 6);
    expect(stored.model.numeric[0]).toBeCloseTo(champion.numeric[0], 6);
    stored.model.categorical[0].forEach((w, i) => expect(w).toBeCloseTo(champion.categorical[0][i], 6));
  });

  it('maps the champion onto a new encoding with every known row\'s logit unchanged, unknown or dropped values at the champion\'s OOV weight', () => {
    // New data: other standardisation, categories in another order, one new (SEA) and one dropped (DFW).
    const next: FeatureEncoding = { numeric: { distance: { mean: 1000, std: 650 } }, vocab: { origin: ['ATL', 'SEA', 'ORD'] } };
    const mapped = mapWarmStart(readLogisticModel(bytes(), features), next, features);
    expect(mapped.categorical[0]).toHaveLength(4);
    for (const [distance, origin] of [[120, 'ORD'], [2500, 'ATL'], [640, 'BOS']] as const) {
      expect(logit(mapped, next, distance, origin)).toBeCloseTo(logit(champion, oldEncoding, distance, origin), 5);
    }
    // DFW left the vocabulary: it now shares the out-of-vocabulary slot, at the champion's OOV weight.
    expect(logit(mapped, next, 900, 'DFW')).toBeCloseTo(logit(champion, oldEncoding, 900, 'BOS'), 5);
    // SEA was out of the champion's vocabulary: it starts where the champion put it.
    expect(logit(mapped, next, 700, 'SEA')).toBeCloseTo(logit(champion, oldEncoding, 700, 'SEA'), 5);
  });

  it('starts a fit from the given weights: with a tiny step the result stays next to them', () => {
    const random = mulberry32(3);
    const rows = 2000;
    const data: DesignMatrix = {
      rows,
      numeric: [Float32Array.from({ length: rows }, () => random() * 2 - 1)],
      categorical: [Int32Array.from({ length: rows }, () => Math.floor(random() * 3))],
      cardinalities: [4],
      label: Uint8Array.from({ length: rows }, () => (random() < 0.3 ? 1 : 0)),
    };
    const fit = fitLogisticRegression(data, { epochs: 1, learningRate: 1e-6, l2: 0, batchSize: 256, seed: 1, initial: champion });
    expect(fit.model.bias).toBeCloseTo(champion.bias, 4);
    expect(fit.model.categorical[0][1]).toBeCloseTo(champion.categorical[0][1], 4);
    expect(() => fitLogisticRegression(data, { epochs: 1, learningRate: 0.1, l2: 0, batchSize: 256, seed: 1, initial: { ...champion, numeric: [] } })).toThrow(
      "initial weights do not match the data's columns and cardinalities",
    );
  });

  it('refuses a champion that is not a built-in logistic regression, or lacks a feature, naming what is missing', () => {
    const ridge = exportRidgeOnnx({ features: { ...features, label: 'y' }, encoding: oldEncoding, model: champion });
    expect(() => readLogisticModel(ridge, features)).toThrow(TrainingError);
    expect(() => readLogisticModel(ridge, features)).toThrow('not a built-in logistic regression');
    expect(() => readLogisticModel(bytes(), { numeric: ['hour'], categorical: ['origin'] })).toThrow('no "numeric/hour/mean"');
  });
});
