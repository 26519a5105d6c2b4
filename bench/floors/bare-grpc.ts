/**
 * Floor for the gRPC path of the serving benchmark: @grpc/grpc-js serving the same service
 * (KServe's grpc_predict_v2.proto) whose ModelInfer decodes the request with the model server's
 * codec and answers a constant response, no model, no split, no ledger. What grpc-js itself costs
 * a call on this machine: the model server's gRPC path cannot be faster than this.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { inferCodec, type InferResponseMessage } from '../../src/serving/grpc/infer-codec';

const PROTO = path.join(__dirname, '..', '..', 'src', 'serving', 'grpc', 'grpc_predict_v2.proto');
const score = Buffer.alloc(4);
score.writeFloatLE(0.25);
const ANSWER: InferResponseMessage = {
  model_name: 'flight-delay',
  model_version: '1',
  id: '',
  parameters: { request_id: { string_param: '00000000-0000-4000-8000-000000000000' } },
  outputs: [{ name: 'probability', datatype: 'FP32', shape: [1] }],
  raw_output_contents: [score],
};

async function main(): Promise<void> {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const service = (grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } }).inference.GRPCInferenceService.service;
  const codec = inferCodec(PROTO);
  // The same server options and codec as the model server (src/serving/grpc/oip-grpc.ts).
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 << 20, 'grpc.enable_channelz': 0 });
  server.addService({ ModelInfer: { ...service.ModelInfer, requestDeserialize: codec.decodeRequest, responseSerialize: codec.encodeResponse as (value: unknown) => Buffer } }, {
    ModelInfer: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => callback(null, ANSWER),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  console.log(JSON.stringify({ msg: 'bare grpc listening', port }));
  process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

void main();
