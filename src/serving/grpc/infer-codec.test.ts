import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { inferCodec } from './infer-codec';

const PROTO = path.join(__dirname, 'grpc_predict_v2.proto');
// The options the server loads the proto with for every other RPC.
const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
const infer = definition['inference.GRPCInferenceService'] as unknown as Record<string, protoLoader.MethodDefinition<object, object>>;
const { requestSerialize, requestDeserialize, responseSerialize, responseDeserialize } = infer.ModelInfer;
const codec = inferCodec(PROTO);

describe('ModelInfer codec', () => {
  it('reads a request as proto-loader does: names, shapes and 64-bit contents as numbers, defaults', () => {
    const request = {
      model_name: 'm',
      id: 'caller-1',
      parameters: { routing_key: { string_param: 'k' } },
      inputs: [
        { name: 'Distance', datatype: 'FP32', shape: [2, 1], contents: { fp32_contents: [1.5, 2.5] } },
        { name: 'Carrier', datatype: 'BYTES', shape: [2, 1], contents: { bytes_contents: [Buffer.from('AA'), Buffer.from('UA')] } },
        { name: 'DepHour', datatype: 'INT64', shape: [2], contents: { int64_contents: [7, 9_007_199_254] } },
      ],
      outputs: [{ name: 'probability' }],
    };
    const bytes = requestSerialize(request);
    const ours = codec.decodeRequest(bytes);
    const theirs = requestDeserialize(bytes) as Record<string, unknown>;
    const pick = (r: typeof ours) => ({
      model_name: r.model_name,
      model_version: r.model_version,
      id: r.id,
      routing: r.parameters.routing_key?.string_param,
      inputs: r.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, contents: t.contents && Object.fromEntries(['fp32_contents', 'bytes_contents', 'int64_contents'].map((k) => [k, [...(t.contents![k] ?? [])]])) })),
      outputs: r.outputs.map((o) => o.name),
      raw: r.raw_input_contents.length,
    });
    expect(pick(ours)).toEqual(pick(theirs as unknown as typeof ours));
    expect(ours.inputs[2].shape).toEqual([2]);
    expect(ours.inputs[2].contents!.int64_contents).toEqual([7, 9_007_199_254]);
    // Unset fields read their proto3 defaults.
    expect(ours.model_version).toBe('');
    expect(codec.decodeRequest(requestSerialize({ model_name: 'm' })).inputs).toEqual([]);
  });

  it('writes a response that proto-loader reads back as the same message it would have written', () => {
    const response = {
      model_name: 'm',
      model_version: '3',
      id: 'caller-1',
      parameters: { request_id: { string_param: 'f0c1' } },
      outputs: [
        { name: 'probability', datatype: 'FP32', shape: [2] },
        { name: 'label', datatype: 'INT64', shape: [2] },
      ],
      raw_output_contents: [Buffer.from(new Float32Array([0.25, 0.75]).buffer), Buffer.from(new BigInt64Array([0n, 1n]).buffer)],
    };
    const ours = codec.encodeResponse(response);
    expect(responseDeserialize(ours)).toEqual(responseDeserialize(responseSerialize(response)));
    expect(Buffer.compare(ours, responseSerialize(response))).toBe(0);
  });

  it('refuses bytes that are not a request', () => {
    expect(() => codec.decodeRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toThrow();
  });
});
