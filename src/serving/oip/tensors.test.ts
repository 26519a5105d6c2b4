import { describe, expect, it } from 'vitest';
import type { ModelInput } from '../loaded-model';
import { decodeInferRequest, encodeInferResponse, encodeInferResponseText } from './tensors';

const INPUTS: ModelInput[] = [
  { name: 'distance', kind: 'float32' },
  { name: 'origin', kind: 'string' },
];
const NUMERIC: ModelInput[] = [
  { name: 'a', kind: 'float32' },
  { name: 'b', kind: 'float32' },
];

const le = (kind: 'f32' | 'f64' | 'i32' | 'i64', values: number[]) => {
  const width = kind === 'f32' || kind === 'i32' ? 4 : 8;
  const b = Buffer.alloc(values.length * width);
  values.forEach((v, i) => (kind === 'f32' ? b.writeFloatLE(v, i * 4) : kind === 'f64' ? b.writeDoubleLE(v, i * 8) : kind === 'i32' ? b.writeInt32LE(v, i * 4) : b.writeBigInt64LE(BigInt(v), i * 8)));
  return b;
};
const bytes = (values: string[]) => Buffer.concat(values.flatMap((s) => [le('i32', [Buffer.byteLength(s)]), Buffer.from(s)]));

describe('decodeInferRequest', () => {
  it.each([
    ['FP32 [n]', 'FP32', [2], [740, 1200]],
    ['FP64 [n, 1]', 'FP64', [2, 1], [740, 1200]],
    ['INT32 nested', 'INT32', [2, 1], [[740], [1200]]],
    ['INT64', 'INT64', [2], [740, 1200]],
  ])('reads a numeric column sent as %s', (_what, datatype, shape, data) => {
    const res = decodeInferRequest({ inputs: [{ name: 'distance', datatype, shape, data }, { name: 'origin', datatype: 'BYTES', shape: [2], data: ['ORD', 'ATL'] }] }, undefined, INPUTS, 10);
    expect(res).toEqual({ ok: true, rows: [{ distance: 740, origin: 'ORD' }, { distance: 1200, origin: 'ATL' }], outputs: [{ name: 'probability', binary: false }, { name: 'label', binary: false }] });
  });

  it.each([
    ['FP32', le('f32', [1.5, 2])],
    ['FP64', le('f64', [1.5, 2])],
    ['INT64', le('i64', [1, 2])],
  ])('reads binary %s tensors in input order, and BYTES with length prefixes', (datatype, a) => {
    const res = decodeInferRequest(
      {
        id: 'x',
        inputs: [
          { name: 'distance', datatype, shape: [2, 1], parameters: { binary_data_size: a.length } },
          { name: 'origin', datatype: 'BYTES', shape: [2, 1], parameters: { binary_data_size: bytes(['ORD', 'ÅÄÖ']).length } },
        ],
        parameters: { binary_data_output: true, routing_key: 'k' },
      },
      Buffer.concat([a, bytes(['ORD', 'ÅÄÖ'])]),
      INPUTS,
      10,
    );
    expect(res.ok && res.rows.map((r) => r.origin)).toEqual(['ORD', 'ÅÄÖ']);
    expect(res.ok && res.rows[1].distance).toBe(2);
    expect(res).toMatchObject({ id: 'x', routingKey: 'k', outputs: [{ binary: true }, { binary: true }] });
  });

  it('reads a row-major FP32 tensor when every input is numeric, in the inputs’ order', () => {
    const res = decodeInferRequest({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }] }, undefined, NUMERIC, 10);
    expect(res.ok && res.rows).toEqual([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
  });

  it('parses numbers of a row-major BYTES tensor per column, empty as missing', () => {
    const res = decodeInferRequest({ inputs: [{ name: 'x', datatype: 'BYTES', shape: [2, 2], data: ['740', 'ORD', '', 'ATL'] }] }, undefined, INPUTS, 10);
    expect(res.ok && res.rows).toEqual([{ distance: 740, origin: 'ORD' }, { distance: null, origin: 'ATL' }]);
  });

  it.each([
    ['not an object', [], /request body: send a JSON object/],
    ['an unknown datatype', { inputs: [{ name: 'distance', datatype: 'FP16', shape: [1], data: [1] }] }, /datatype "FP16" is not supported/],
    ['a 3-D shape', { inputs: [{ name: 'distance', datatype: 'FP32', shape: [1, 1, 1], data: [1] }] }, /shape \[1,1,1\] must be \[n\] or \[n, columns\]/],
    ['data and binary_data_size', { inputs: [{ name: 'distance', datatype: 'FP32', shape: [1], data: [1], parameters: { binary_data_size: 4 } }] }, /send "data" or "parameters.binary_data_size", not both/],
    ['a negative UINT', { inputs: [{ name: 'distance', datatype: 'UINT32', shape: [1], data: [-1] }] }, /element 0 is -1, not a UINT32 value/],
    ['a number in BYTES', { inputs: [{ name: 'origin', datatype: 'BYTES', shape: [1], data: [1] }] }, /input "origin": element 0 is 1, not a BYTES value/],
    ['a duplicate input', { inputs: [{ name: 'distance', datatype: 'FP32', shape: [1], data: [1] }, { name: 'distance', datatype: 'FP32', shape: [1], data: [1] }] }, /input "distance" is sent twice/],
    ['a wide column', { inputs: [{ name: 'distance', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }, /one column per input is \[n\] or \[n, 1\]/],
    ['a row-major tensor of the wrong width', { inputs: [{ name: 'x', datatype: 'BYTES', shape: [1, 3], data: ['1', 'a', 'b'] }] }, /needs one column per model input, \[n, 2\] in the order distance, origin; got \[1, 3\]/],
    ['an unparsable number in a row-major tensor', { inputs: [{ name: 'x', datatype: 'BYTES', shape: [1, 2], data: ['far', 'ORD'] }] }, /row 0, column 0 \("distance", numeric\) is "far", not a number/],
    ['zero rows', { inputs: [{ name: 'distance', datatype: 'FP32', shape: [0], data: [] }, { name: 'origin', datatype: 'BYTES', shape: [0], data: [] }] }, /inputs have 0 rows; send 1 to 10/],
    ['a bad routing key', { parameters: { routing_key: '' }, inputs: [] }, /"parameters.routing_key": a string of 1 to 256/],
    ['a duplicate output', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }], outputs: [{ name: 'label' }, { name: 'label' }] }, /output "label" is requested twice/],
  ])('refuses %s, naming the field', (_what, body, error) => {
    const res = decodeInferRequest(body, undefined, INPUTS, 10);
    expect(res.ok).toBe(false);
    expect(!res.ok && res.error).toMatch(error);
  });

  it('refuses binary sizes that do not match the data', () => {
    const short = decodeInferRequest({ inputs: [{ name: 'distance', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 4 } }] }, le('f32', [1]), INPUTS, 10);
    expect(!short.ok && short.error).toMatch(/2 FP32 values take 8 bytes, binary_data_size is 4/);
    const extra = decodeInferRequest(
      { inputs: [{ name: 'distance', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } }, { name: 'origin', datatype: 'BYTES', shape: [1], data: ['ORD'] }] },
      le('f32', [1, 2]),
      INPUTS,
      10,
    );
    expect(!extra.ok && extra.error).toMatch(/the binary part has 4 bytes that no input's "binary_data_size" accounts for/);
    const truncated = decodeInferRequest({ inputs: [{ name: 'origin', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } }] }, Buffer.concat([le('i32', [9]), Buffer.from('ab')]), INPUTS, 10);
    expect(!truncated.ok && truncated.error).toMatch(/BYTES element 0 runs past binary_data_size/);
  });
});

describe('encodeInferResponse', () => {
  const scores = Float32Array.from([0.25, 0.75, 0.5]).subarray(1);

  it('answers JSON outputs with the caller’s id and the feedback key', () => {
    const res = encodeInferResponse({ model: 'm', version: 3, id: 'c', parameters: { request_id: 'r' } }, scores, [{ name: 'probability', binary: false }, { name: 'label', binary: false }]);
    expect(res.binary).toEqual([]);
    expect(res.json).toEqual({
      model_name: 'm',
      model_version: '3',
      id: 'c',
      parameters: { request_id: 'r' },
      outputs: [
        { name: 'probability', datatype: 'FP32', shape: [2], data: [0.75, 0.5] },
        { name: 'label', datatype: 'INT64', shape: [2], data: [1, 1] },
      ],
    });
  });

  it('answers binary outputs from a view of a shared buffer without its neighbours', () => {
    const res = encodeInferResponse({ model: 'm', version: 1 }, scores, [{ name: 'probability', binary: true }, { name: 'label', binary: true }]);
    expect(res.json.outputs).toEqual([
      { name: 'probability', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 'label', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 16 } },
    ]);
    expect([res.binary[0].readFloatLE(0), res.binary[0].readFloatLE(4)]).toEqual([0.75, 0.5]);
    expect([res.binary[1].readBigInt64LE(0), res.binary[1].readBigInt64LE(8)]).toEqual([1n, 1n]);
  });
});

describe('encodeInferResponseText', () => {
  const multiclass = { task: 'multiclass', classes: ['on time', 'late "a lot"', 'cancelled\n'] } as const;
  const cases = [
    { what: 'binary, two rows, id and key', task: undefined, scores: Float32Array.from([0.25, 0.75, 0.1]).subarray(1), outputs: ['probability', 'label'], head: { model: 'm', version: 3, id: 'c', parameters: { request_id: 'r' } } },
    { what: 'binary, one output, no id', task: undefined, scores: Float32Array.from([1 / 3]), outputs: ['label'], head: { model: 'm', version: 1 } },
    { what: 'multiclass, labels with quotes and newlines', task: multiclass, scores: Float32Array.from([0.1, 0.2, 0.7, 0.5, 0.3, 0.2]), outputs: ['label', 'probabilities'], head: { model: 'm\u2028"x"', version: 12, id: 'a"b\\c' } },
    { what: 'regression with non-finite values', task: { task: 'regression' } as const, scores: Float32Array.from([NaN, Infinity, -0, 1e-30, 123456789]), outputs: ['value'], head: { model: 'r', version: 2, parameters: { request_id: 'k' } } },
  ];
  for (const c of cases) {
    it(`writes exactly what JSON.stringify writes of encodeInferResponse's document: ${c.what}`, () => {
      const outputs = c.outputs.map((name) => ({ name, binary: false }));
      const text = encodeInferResponseText(c.head, c.scores, outputs, c.task);
      expect(text).toBe(JSON.stringify(encodeInferResponse(c.head, c.scores, outputs, c.task).json));
      expect(() => JSON.parse(text)).not.toThrow();
    });
  }
});

