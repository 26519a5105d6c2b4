/** The train and evaluate step parameters: what a spec may say and how a mistake is reported. */
import { describe, expect, it } from 'vitest';
import { evaluateParamsSchema, trainParamsSchema } from '../../src/pipeline/step-params';

const features = { numeric: ['distance'], categorical: ['origin'] };
const problems = (schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown) =>
  schema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('train params', () => {
  it('defaults to the built-in trainer', () => {
    expect(trainParamsSchema.parse({ features })).toEqual({ trainer: 'builtin', features, params: {} });
  });

  it('takes a command trainer with its argv, env and name', () => {
    const p = trainParamsSchema.parse({ trainer: 'command', command: ['python', 'train.py', '{request}'], env: { OMP_NUM_THREADS: '1' }, name: 'mine', features });
    expect(p).toMatchObject({ trainer: 'command', command: ['python', 'train.py', '{request}'], env: { OMP_NUM_THREADS: '1' }, name: 'mine' });
  });

  it.each([
    [{ trainer: 'command', features }, 'command: trainer "command" needs command: [executable, ...args]'],
    [{ trainer: 'builtin', command: ['x'], features }, 'command: command applies only to trainer "command"'],
    [{ name: 'mine', features }, 'name: name applies only to trainer "command"'],
    [{ trainer: 'command', command: [], features }, 'command: Too small: expected array to have >=1 items'],
    [{ trainer: 'command', command: ['x'], env: { 'BAD-NAME': '1' }, features }, 'env.BAD-NAME: Invalid key in record'],
    [{ trainer: 'Python 3', features }, 'trainer: expected "builtin", a registered trainer name such as "sklearn-hgb", or "command"'],
    [{ trainer: 'sklearn-hgb', command: ['sh'], features }, 'command: command applies only to trainer "command"; a registered trainer\'s command and environment come from its registration'],
  ])('refuses %j', (value, problem) => {
    expect(problems(trainParamsSchema, value)).toContain(problem);
  });
});

describe('evaluate params', () => {
  it('takes slices and gates on slices', () => {
    const p = evaluateParamsSchema.parse({
      slices: [{ column: 'origin', top: 10 }, { column: 'month', values: ['1', '2'] }],
      gates: [{ metric: 'auc', min: 0.55, slice: { column: 'origin' } }, { metric: 'msPerRow', max: 0.05 }],
      candidates: ['train-a', 'train-b'],
    });
    expect(p.slices[0]).toEqual({ column: 'origin', top: 10, minRows: 1 });
    expect(p.gates[0]).toMatchObject({ compare: 'value', slice: { column: 'origin' } });
  });

  it.each([
    [{ gates: [{ metric: 'auc', min: 0.5, slice: { column: 'origin' } }] }, 'gates.0.slice.column: "origin" is not sliced; add { column: origin } to slices'],
    [{ slices: [{ column: 'origin', top: 3, values: ['ORD'] }] }, 'slices.0: give top or values, not both'],
    [{ candidates: ['Train A'] }, 'candidates.0: expected a step id'],
  ])('refuses %j', (value, problem) => {
    expect(problems(evaluateParamsSchema, value)).toContain(problem);
  });
});
