/**
 * The Open Inference Protocol over gRPC (KServe's published grpc_predict_v2.proto, service
 * `inference.GRPCInferenceService`, which tritonclient.grpc also calls) on the same inference
 * path and the same decisions as the REST routes (routes/open-inference.ts): the tensors are
 * turned into the REST request's shape and checked by the same codec, the caller's id is
 * echoed with the server-issued feedback key in `parameters.request_id`, a named version is
 * pinned outside the split's evidence. Outputs are answered as `raw_output_contents`, as
 * Triton does. Who may call: as /v1 predictions — a per-peer-address rate limit of the same
 * size, and with predictAuth a bearer token (`authorization` metadata) allowed `predict`.
 * The repository RPCs (model load/unload) answer UNIMPLEMENTED: deployments change only
 * through the audited admin API.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decide } from '../../auth/authorize';
import { bearerToken } from '../../auth/tokens';
import { modelMetadata, reachableInputs, reachableTask } from '../oip/model-inputs';
import { decodeInferRequest, encodeInferResponse } from '../oip/tensors';
import type { OpenInferenceDeps } from '../routes/open-inference';
import { ROUTING_KEY_HEADER } from '../routes/predict';
import { inferCodec, type InferInputTensor, type InferParam, type InferRequestMessage, type InferResponseMessage } from './infer-codec';

const PROTO = path.join(__dirname, 'grpc_predict_v2.proto');

/** Options of {@link startOipGrpcServer}. */
export interface OipGrpcOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Requests per second per peer address, as SLIPWAY_SERVE_RATE_LIMIT for HTTP; 0 disables. */
  rateLimitPerSecond: number;
}

export interface OipGrpcServer {
  port: number;
  close(): Promise<void>;
}


const STATUS: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  429: grpc.status.RESOURCE_EXHAUSTED,
  500: grpc.status.INTERNAL,
  501: grpc.status.UNIMPLEMENTED,
  503: grpc.status.UNAVAILABLE,
};
const CONTENTS: Record<string, string> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

export async function startOipGrpcServer(deps: OpenInferenceDeps, options: OipGrpcOptions): Promise<OipGrpcServer> {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const proto = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
  // The hot RPC reads and writes its messages with protobufjs directly (infer-codec.ts); the others keep proto-loader's.
  const codec = inferCodec(PROTO);
  const service = proto.inference.GRPCInferenceService.service;
  const definitionFast: grpc.ServiceDefinition = {
    ...service,
    ModelInfer: { ...service.ModelInfer, requestDeserialize: codec.decodeRequest, responseSerialize: codec.encodeResponse as (value: unknown) => Buffer },
  };
  const limit = new PerSecondLimit(options.rateLimitPerSecond);

  /** Auth and rate limit of a model RPC; throws a Refusal. */
  const admit = async (call: grpc.ServerUnaryCall<unknown, unknown>, model: string) => {
    const peer = peerAddress(call.getPeer());
    if (!limit.take(peer)) {
      deps.metrics.reject('rate_limited');
      throw new Refusal(429, `rate limit of ${options.rateLimitPerSecond} requests a second per address exceeded`);
    }
    const auth = deps.predictAuthenticator;
    if (!auth) return;
    const retryAfter = deps.throttle?.blockedFor(peer);
    if (retryAfter !== undefined) throw new Refusal(429, `too many failed authentications from this address; try again in ${retryAfter} s`);
    const header = call.metadata.get('authorization')[0];
    const token = bearerToken(typeof header === 'string' ? header : undefined);
    const principal = token ? await auth.authenticate(token) : undefined;
    if (token && !principal) deps.throttle?.recordFailure(peer);
    const decision = decide(principal, 'predict', { model });
    if (!decision.allowed) {
      deps.metrics.reject(decision.status === 401 ? 'unauthenticated' : 'forbidden');
      throw new Refusal(decision.status, `prediction refused: ${decision.reason}`);
    }
  };

  const unary =
    <Req, Res>(fn: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res) =>
    (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      Promise.resolve()
        .then(() => fn(call))
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            if (err instanceof Refusal) return callback({ code: STATUS[err.status] ?? grpc.status.UNKNOWN, details: err.message });
            callback({ code: grpc.status.INTERNAL, details: 'the request failed; see the server log' });
          },
        );
    };

  const version = (v: string): number | undefined => {
    if (v === '') return undefined;
    if (!/^[1-9][0-9]{0,8}$/.test(v)) throw new Refusal(400, `version "${v}" is not a version number (a positive integer)`);
    return Number(v);
  };

  // Channelz (grpc-js' per-call introspection counters) is off: nothing here reads it, and every call paid for it.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 << 20, 'grpc.enable_channelz': 0 });
  server.addService(definitionFast, {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: deps.deployments.list().every((d) => d.serving) })),
    ServerMetadata: unary(() => ({ name: 'slipway', version: deps.serverVersion, extensions: [] })),
    ModelReady: unary<{ name: string; version: string }, { ready: boolean }>(async (call) => {
      await admit(call, call.request.name);
      const inputs = reachableInputs(deps.deployments, call.request.name, version(call.request.version));
      if ('error' in inputs && inputs.status === 404) throw new Refusal(404, inputs.error);
      return { ready: !('error' in inputs) };
    }),
    ModelMetadata: unary<{ name: string; version: string }, unknown>(async (call) => {
      await admit(call, call.request.name);
      const meta = modelMetadata(deps.deployments, call.request.name, version(call.request.version));
      if ('error' in meta) throw new Refusal(meta.status, meta.error);
      return meta;
    }),
    ModelInfer: unary<InferRequestMessage, InferResponseMessage>(
      async (call) => {
        const req = call.request;
        await admit(call, req.model_name);
        const pinned = version(req.model_version);
        const inputs = reachableInputs(deps.deployments, req.model_name, pinned);
        if ('error' in inputs) throw new Refusal(inputs.status, inputs.error);
        const { json, binary } = restShape(req);
        const body = decodeInferRequest(json, binary, inputs, deps.maxBatch, reachableTask(deps.deployments, req.model_name, pinned));
        if (!body.ok) throw new Refusal(400, body.error);
        const served = await deps.inference.infer({ model: req.model_name, rows: body.rows, routingKey: body.routingKey ?? metadataString(call, ROUTING_KEY_HEADER), clientId: body.id, version: pinned, protocol: 'oip-grpc' });
        if (!served.ok) throw new Refusal(served.status, served.message);
        const id = body.id ?? (served.pinned ? undefined : served.requestId);
        const encoded = encodeInferResponse({ model: req.model_name, version: served.version, id }, served.scores, body.outputs.map((o) => ({ name: o.name, binary: true })), served.task);
        const parameters: Record<string, InferParam> = served.pinned ? {} : { request_id: { string_param: served.requestId } };
        const outputs = (encoded.json.outputs as { name: string; datatype: string; shape: number[] }[]).map(({ name, datatype, shape }) => ({ name, datatype, shape }));
        return {
          model_name: req.model_name,
          model_version: String(served.version),
          id: id ?? '',
          parameters,
          outputs,
          raw_output_contents: encoded.binary,
        };
      },
    ),
    RepositoryModelLoad: unary(() => {
      throw new Refusal(501, 'deployments change through the audited admin API (PUT /admin/v1/models/:name/deployment)');
    }),
    RepositoryModelUnload: unary(() => {
      throw new Refusal(501, 'deployments change through the audited admin API (DELETE /admin/v1/models/:name/deployment)');
    }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** The gRPC request as the REST codec reads it: tensors with `data`, or with binary sizes over the raw contents. */
function restShape(req: InferRequestMessage) {
  const raw = req.raw_input_contents;
  if (raw.length > 0 && raw.length !== req.inputs.length) throw new Refusal(400, `raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs; send one per input or none`);
  // Object literals, not `{ ...base, data }`: spreading here cost ~8 µs a call (V8's slow clone path,
  // and the objects it made slowed the codec that reads them): about a fifth of the handler's own time.
  const inputs = req.inputs.map((t: InferInputTensor, i) => {
    if (raw.length > 0) return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: raw[i].length } };
    const field = CONTENTS[t.datatype];
    const values = (field && t.contents?.[field]) || [];
    return { name: t.name, datatype: t.datatype, shape: t.shape, data: t.datatype === 'BYTES' ? (values as Buffer[]).map((b) => b.toString('utf8')) : values };
  });
  const routing = req.parameters.routing_key;
  return {
    json: {
      ...(req.id !== '' ? { id: req.id } : {}),
      ...(routing ? { parameters: { routing_key: routing.string_param } } : {}),
      inputs,
      ...(req.outputs.length > 0 ? { outputs: req.outputs.map((o) => ({ name: o.name })) } : {}),
    },
    binary: raw.length > 0 ? Buffer.concat(raw) : undefined,
  };
}

function metadataString(call: grpc.ServerUnaryCall<unknown, unknown>, key: string): string | undefined {
  const v = call.metadata.get(key)[0];
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

/** Peers seen lately → their address (a connection's calls share one peer string); cleared when full. */
const peerCache = new Map<string, string>();

/** `ipv4:127.0.0.1:5000`, `127.0.0.1:5000` or `[::1]:5000` → the address alone, the rate limit's key. */
function peerAddress(peer: string): string {
  let address = peerCache.get(peer);
  if (address === undefined) {
    if (peerCache.size >= 4096) peerCache.clear();
    address = parsePeer(peer);
    peerCache.set(peer, address);
  }
  return address;
}

function parsePeer(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[(.*)\]:\d+$/.exec(bare);
  return v6 ? v6[1] : bare.replace(/:\d+$/, '');
}

/** At most `perSecond` calls per key in each one-second window (0: no limit); memory is the keys of one window. */
class PerSecondLimit {
  private window = 0;
  private hits = new Map<string, number>();
  constructor(private readonly perSecond: number) {}

  take(key: string): boolean {
    if (this.perSecond <= 0) return true;
    const now = Math.floor(Date.now() / 1000);
    if (now !== this.window) {
      this.window = now;
      this.hits.clear();
    }
    const n = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, n);
    return n <= this.perSecond;
  }
}
