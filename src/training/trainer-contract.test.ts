import { describe, expect, it } from 'vitest';
import { DEFAULT_SEED, contractEnv, expandPlaceholders, parseProgressLine, seedOf } from './trainer-contract';

describe('parseProgressLine', () => {
  it.each([
    ['{"phase":"fitting","fraction":0.5}', { phase: 'fitting', fraction: 0.5 }],
    ['  {"iteration": 3}  ', { iteration: 3 }],
    ['epoch 3 done', undefined],
    ['[1, 2]', undefined],
    ['{"broken": ', undefined],
    ['null', undefined],
    [`{"big":"${'x'.repeat(5000)}"}`, undefined],
  ])('reads %j as %j', (line, expected) => {
    expect(parseProgressLine(line)).toEqual(expected);
  });
});

describe('placeholders and environment', () => {
  const values = { train: '/d/train.parquet', output: '/w/output', seed: '7' };

  it('fills known placeholders and leaves other braces alone', () => {
    expect(expandPlaceholders('--out={output}/m.onnx', values)).toBe('--out=/w/output/m.onnx');
    expect(expandPlaceholders('{train}:{seed}', values)).toBe('/d/train.parquet:7');
    expect(expandPlaceholders('{"json": {nope}}', values)).toBe('{"json": {nope}}');
  });

  it('names each value SLIPWAY_<NAME>', () => {
    expect(contractEnv(values)).toEqual({ SLIPWAY_TRAIN: '/d/train.parquet', SLIPWAY_OUTPUT: '/w/output', SLIPWAY_SEED: '7' });
  });
});

describe('seedOf', () => {
  it.each([
    [{ seed: 7 }, 7],
    [{ seed: 0 }, 0],
    [{}, DEFAULT_SEED],
    [{ seed: -1 }, DEFAULT_SEED],
    [{ seed: 1.5 }, DEFAULT_SEED],
    [{ seed: '7' }, DEFAULT_SEED],
  ])('takes %j as seed %i', (params, seed) => {
    expect(seedOf(params)).toBe(seed);
  });
});
