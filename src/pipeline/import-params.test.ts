import { describe, expect, it } from 'vitest';
import { importParamsSchema } from './import-params';

const problems = (p: unknown): string[] | 'ok' => importParamsSchema.safeParse(p).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? 'ok';

describe('import step params', () => {
  it.each([
    [{ model: 'models:/churn/3' }, 'ok'],
    [{ file: 'data/m.onnx', features: { numeric: ['a'] } }, 'ok'],
    [{ file: 'data/m.onnx', task: 'multiclass', classes: ['x', 'y'], features: { categorical: ['c'] } }, 'ok'],
    [{}, ['model: name exactly one source: model (models:/<name>/<version>) or file (an .onnx file under the data roots)']],
    [
      { model: 'models:/churn/3', file: 'm.onnx' },
      ['model: name exactly one source: model (models:/<name>/<version>) or file (an .onnx file under the data roots)', 'features: a file import declares its features: { numeric: [...], categorical: [...] }'],
    ],
    [{ file: 'm.onnx' }, ['features: a file import declares its features: { numeric: [...], categorical: [...] }']],
    [{ model: 'models:/churn@champion' }, ['model: expected models:/<name>/<version>, e.g. models:/churn/3']],
    [{ model: 'models:/churn/3', task: 'binary' }, ['features: a registered model brings the contract it was imported or trained with; task, features and classes apply to file imports only']],
    [{ file: 'm.onnx', features: { numeric: ['a b'] } }, ['features.numeric.0: expected a column name (letters, digits, _)']],
    [{ model: 'models:/churn/3', seed: 1 }, [': Unrecognized key: "seed"']],
  ])('%j → %j', (params, expected) => {
    expect(problems(params)).toEqual(expected);
  });
});
