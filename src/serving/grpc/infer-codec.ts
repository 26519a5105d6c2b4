/**
 * ModelInfer's messages read and written with protobufjs directly. @grpc/proto-loader turns every
 * decoded message into a plain object with every default filled in (`toObject`) and every answer
 * back into a message (`fromObject`) before encoding: in a CPU profile of the gRPC path that copy
 * cost more than decoding itself. A decoded message reads the same (defaults come from its
 * prototype, keepCase names), except that 64-bit integers arrive as `Long`; the few the server
 * reads (shapes, INT64/UINT64 contents) are turned into numbers here, as proto-loader's
 * `longs: Number` did.
 */
import protobuf from 'protobufjs';

/** An InferParameter as the server reads it (oneof `parameter_choice`). */
export interface InferParam {
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
}

/** A decoded input tensor; `contents` holds one of its typed lists. */
export interface InferInputTensor {
  name: string;
  datatype: string;
  shape: number[];
  parameters: Record<string, InferParam>;
  contents?: Record<string, unknown[]>;
}

/** A decoded ModelInferRequest, in the shape the server reads. */
export interface InferRequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParam>;
  inputs: InferInputTensor[];
  outputs: { name: string }[];
  raw_input_contents: Buffer[];
}

/** A ModelInferResponse as the server writes it. */
export interface InferResponseMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParam>;
  outputs: { name: string; datatype: string; shape: number[] }[];
  raw_output_contents: Buffer[];
}

interface LongLike {
  toNumber(): number;
}
const toNumber = (v: number | LongLike): number => (typeof v === 'number' ? v : v.toNumber());

/** Decoder and encoder of ModelInfer, from the service's .proto. */
export function inferCodec(protoPath: string) {
  const root = new protobuf.Root().loadSync(protoPath, { keepCase: true });
  const Request = root.lookupType('inference.ModelInferRequest');
  const Response = root.lookupType('inference.ModelInferResponse');
  return {
    decodeRequest(bytes: Buffer): InferRequestMessage {
      const req = Request.decode(bytes) as unknown as InferRequestMessage;
      for (const tensor of req.inputs) {
        // Repeated fields are fresh arrays on a decoded message (the shared empty default is frozen).
        if (tensor.shape.length > 0) tensor.shape = tensor.shape.map(toNumber);
        const contents = tensor.contents;
        for (const field of ['int64_contents', 'uint64_contents']) {
          const values = contents?.[field] as (number | LongLike)[] | undefined;
          if (contents && values && values.length > 0) contents[field] = values.map(toNumber);
        }
      }
      return req;
    },
    encodeResponse(res: InferResponseMessage): Buffer {
      const w = Response.encode(res as unknown as protobuf.Message);
      const out = w.finish();
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}
