import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  describe.each([
    ['sorts keys at every depth', { b: 1, a: { z: true, y: [3, { d: 1, c: 2 }] } }, '{"a":{"y":[3,{"c":2,"d":1}],"z":true},"b":1}'],
    ['sorts integer-like keys as strings, not numerically', { a: 1, 10: 2, 9: 3 }, '{"10":2,"9":3,"a":1}'],
    ['omits undefined, function and symbol properties', { a: undefined, b: () => 1, c: Symbol('s'), d: 1 }, '{"d":1}'],
    ['writes undefined array items as null', [1, undefined, 2], '[1,null,2]'],
    ['writes non-finite numbers as null', [NaN, Infinity, -Infinity], '[null,null,null]'],
    ['honours toJSON', { at: new Date('2024-01-02T03:04:05.000Z') }, '{"at":"2024-01-02T03:04:05.000Z"}'],
    ['escapes strings like JSON.stringify', { 'k"ey': 'line\nbreak' }, '{"k\\"ey":"line\\nbreak"}'],
    ['serialises scalars', 'text', '"text"'],
    ['serialises null', null, 'null'],
    ['allows the same object twice when it is not a cycle', (() => { const o = { x: 1 }; return [o, o]; })(), '[{"x":1},{"x":1}]'],
  ])('%s', (_label, value, expected) => {
    it(`gives ${expected}`, () => {
      expect(canonicalJson(value)).toBe(expected);
    });
  });

  it('produces JSON that parses back to the same value', () => {
    const value = { z: [1, 'two', { three: 3 }], a: null, m: { n: -0.5 } };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it('rejects cycles, BigInt and top-level undefined instead of writing something lossy', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/BigInt/);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});
