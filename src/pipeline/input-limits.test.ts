import { describe, expect, it } from 'vitest';
import { INPUT_LIMITS, inputShapeProblems } from './input-limits';

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
};

describe('inputShapeProblems', () => {
  it('accepts an input at the depth limit', () => {
    expect(inputShapeProblems(nested(INPUT_LIMITS.maxDepth))).toEqual([]);
  });

  it('refuses one level deeper, naming the limit', () => {
    expect(inputShapeProblems(nested(INPUT_LIMITS.maxDepth + 2))).toEqual([
      'input: nested more than 32 levels deep (limit maxDepth 32); flatten the spec',
    ]);
  });

  it('refuses a nesting bomb without overflowing the stack', () => {
    expect(inputShapeProblems(nested(200_000), 'input.spec')[0]).toMatch(/^input.spec: nested more than 32 levels/);
  });

  it('refuses an input over the byte limit, naming the size and the limit', () => {
    const big = { spec: { description: 'é'.repeat(INPUT_LIMITS.maxInputBytes / 2) } };
    expect(inputShapeProblems(big)).toEqual([
      `input: ${JSON.stringify(big).length + INPUT_LIMITS.maxInputBytes / 2} bytes, over the limit of 262144 bytes (maxInputBytes); name a pipeline file instead of sending a large inline spec`,
    ]);
  });

  it('gives up early on a huge input', () => {
    const huge = { steps: Array.from({ length: 100_000 }, () => 'x') };
    expect(inputShapeProblems(huge)[0]).toMatch(/^input: larger than the limit of 262144 bytes/);
  });
});
