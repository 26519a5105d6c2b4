/**
 * Multiclass and regression models for the model-server tests, trained by the built-in trainers
 * on the Seattle weather data that vega-datasets ships (2012–2014) and exported to ONNX by their
 * exporters, with held-out 2015 rows as a caller would send them. Small (1,096 training rows), so
 * fitting takes well under a second.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { writeParquet } from '../../src/data/flights-window';
import type { FeatureSpec } from '../../src/training/feature-spec';
import { loadEncodedData } from '../../src/training/load-training-data';
import { exportRidgeOnnx, exportSoftmaxOnnx } from '../../src/training/onnx-export-tasks';
import { fitRidgeRegression } from '../../src/training/ridge-regression';
import { fitSoftmaxRegression } from '../../src/training/softmax-regression';

const SOURCE = path.join(__dirname, '../../node_modules/vega-datasets/data/seattle-weather.csv');
export const WEATHER_CLASSES = ['drizzle', 'fog', 'rain', 'snow', 'sun'];
/** Multiclass: the weather from the day's measurements. */
export const MULTICLASS_FEATURES: FeatureSpec = { numeric: ['precipitation', 'temp_max', 'temp_min', 'wind'], categorical: ['month'], label: 'weather' };
/** Regression: the day's highest temperature from the rest. */
export const REGRESSION_FEATURES: FeatureSpec = { numeric: ['precipitation', 'temp_min', 'wind'], categorical: ['month', 'weather'], label: 'temp_max' };

export interface WeatherRow {
  precipitation: number;
  temp_max: number;
  temp_min: number;
  wind: number;
  month: string;
  weather: string;
}

export interface TaskModels {
  /** Softmax regression over {@link WEATHER_CLASSES}; `slipway.task`/`slipway.classes` in its metadata. */
  multiclass: Uint8Array;
  /** A second softmax fit (other seed, fewer epochs): a canary with the same task. */
  multiclassOther: Uint8Array;
  /** Ridge regression of temp_max. */
  regression: Uint8Array;
  /** A second ridge fit (a hundred times the penalty, so its values differ): a regression canary. */
  regressionOther: Uint8Array;
  /** 2015 rows (365), the raw columns. */
  holdout: WeatherRow[];
}

export async function trainTaskModels(): Promise<TaskModels> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-task-models-'));
  try {
    const select = (where: string) =>
      `SELECT precipitation, temp_max, temp_min, wind, CAST(month(date) AS VARCHAR) AS month, weather FROM read_csv(${sqlString(SOURCE)}) WHERE ${where} ORDER BY date`;
    const train = path.join(dir, 'train.parquet');
    const holdout = path.join(dir, 'holdout.parquet');
    await writeParquet(train, select('year(date) < 2015'));
    await writeParquet(holdout, select('year(date) = 2015'));

    const mc = await loadEncodedData(train, MULTICLASS_FEATURES, { target: { task: 'multiclass', classes: WEATHER_CLASSES } });
    const mcCard = MULTICLASS_FEATURES.categorical.map((c) => mc.encoding.vocab[c].length + 1);
    const softmax = (seed: number, epochs: number) => {
      const { model } = fitSoftmaxRegression({ ...mc, cardinalities: mcCard, label: mc.classIndex!, classes: WEATHER_CLASSES.length }, { epochs, learningRate: 0.05, l2: 1e-3, batchSize: 64, seed });
      return exportSoftmaxOnnx({ features: MULTICLASS_FEATURES, encoding: mc.encoding, model, classes: WEATHER_CLASSES });
    };
    const rg = await loadEncodedData(train, REGRESSION_FEATURES, { target: { task: 'regression' } });
    const rgCard = REGRESSION_FEATURES.categorical.map((c) => rg.encoding.vocab[c].length + 1);
    const ridge = (alpha: number) => exportRidgeOnnx({ features: REGRESSION_FEATURES, encoding: rg.encoding, model: fitRidgeRegression({ ...rg, cardinalities: rgCard, target: rg.target! }, { alpha }).model });

    const rows = await withDuckDb({ threads: 1 }, (conn) => queryRows(conn, `SELECT * FROM read_parquet(${sqlString(holdout)})`));
    return {
      multiclass: softmax(7, 200),
      multiclassOther: softmax(11, 20),
      regression: ridge(1),
      regressionOther: ridge(100),
      holdout: rows.map((r) => ({
        precipitation: Number(r.precipitation),
        temp_max: Number(r.temp_max),
        temp_min: Number(r.temp_min),
        wind: Number(r.wind),
        month: String(r.month),
        weather: String(r.weather),
      })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
