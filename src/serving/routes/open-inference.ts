/**
 * The standard protocols on the protocol-neutral inference path (inference.ts), so the split,
 * sticky routing, per-version stats and feedback keys are those of `/v1/models/:name/predict`:
 *
 * - Open Inference Protocol (KServe V2, Triton, MLServer) REST under `/v2`: health, server and
 *   model metadata, model readiness, inference (JSON or the binary tensor data extension).
 * - KServe V1: `GET /v1/models/:name` and `POST /v1/models/:name:predict` with `instances`.
 *
 * Errors are `{"error": "..."}` with the HTTP status, as both protocols define them. Who may call
 * what is the same as for `/v1` predictions: model routes are rate limited per connection address
 * and, with predictAuth, need a token allowed `predict`; health and server metadata are open like
 * /healthz. See ARCHITECTURE.md (Protocols) for the request id and version pinning decisions.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator';
import type { AuthFailureThrottle } from '../../auth/auth-throttle';
import { decide } from '../../auth/authorize';
import { bearerToken } from '../../auth/tokens';
import type { DeploymentManager } from '../deployment-manager';
import type { InferenceService } from '../inference';
import type { FeatureRow } from '../loaded-model';
import { modelMetadata, reachableInputs, reachableTask } from '../oip/model-inputs';
import { taskPredictions } from '../task-predictions';
import { decodeInferRequest, encodeInferResponse, encodeInferResponseText } from '../oip/tensors';
import type { ServingMetrics } from '../serving-metrics';
import { ROUTING_KEY_HEADER } from './predict';

export interface OpenInferenceDeps {
  inference: InferenceService;
  deployments: DeploymentManager;
  metrics: ServingMetrics;
  maxBatch: number;
  /** Route config of the per-connection-address rate limit (the one /v1 uses). */
  rateLimit: Record<string, unknown>;
  /** When set, model routes need a token allowed `predict`, as /v1 predictions do. */
  predictAuthenticator?: Authenticator;
  throttle?: AuthFailureThrottle;
  /** Reported by `GET /v2`. */
  serverVersion: string;
}

/** Header of the binary tensor data extension: the length of the JSON part of the body. */
const HEADER_LENGTH = 'inference-header-content-length';
/** What Fastify itself sends with a JSON body. */
const JSON_TYPE = 'application/json; charset=utf-8';
/** KServe V1 has no request id in its body: the feedback key and version travel as headers. */
export const REQUEST_ID_HEADER = 'x-slipway-request-id';
export const MODEL_VERSION_HEADER = 'x-slipway-model-version';

interface ModelParams {
  name: string;
  version?: string;
}

export const openInferenceRoutes = (deps: OpenInferenceDeps) => async (app: FastifyInstance) => {
  await app.register(async (v2) => {
    protocolErrors(v2);
    // Bodies are JSON, or JSON followed by binary tensors; both are read as bytes and split here.
    v2.removeAllContentTypeParsers();
    const asBytes = (_request: FastifyRequest, body: Buffer | string, done: (err: null, body: Buffer | string) => void) => done(null, body);
    // The usual media types by name too: Fastify caches a named parser's look-up, while the
    // catch-all is found again by parsing the header on every request (1.4% of OIP REST's CPU).
    v2.addContentTypeParser(['application/json', 'application/octet-stream'], { parseAs: 'buffer' }, asBytes);
    v2.addContentTypeParser('*', { parseAs: 'buffer' }, asBytes);
    v2.setNotFoundHandler((request, reply) => reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}; see the Open Inference Protocol` }));

    const model = modelRouteOptions(deps);
    v2.get('/health/live', async () => ({ live: true }));
    // The protocol says 200 for ready and 4xx for not; every deployed model must have a version that serves.
    v2.get('/health/ready', async (_request, reply) => {
      const ready = deps.deployments.list().every((d) => d.serving);
      return reply.status(ready ? 200 : 400).send({ ready });
    });
    v2.get('/', async () => ({ name: 'slipway', version: deps.serverVersion, extensions: ['binary_tensor_data'] }));

    for (const path of ['/models/:name', '/models/:name/versions/:version']) {
      v2.get(path, model, async (request, reply) => {
        const at = target(request.params as ModelParams);
        if ('error' in at) return reply.status(400).send(at);
        const meta = modelMetadata(deps.deployments, at.name, at.version);
        return 'error' in meta ? reply.status(meta.status).send({ error: meta.error }) : meta;
      });
      v2.get(`${path}/ready`, model, async (request, reply) => {
        const at = target(request.params as ModelParams);
        if ('error' in at) return reply.status(400).send(at);
        const inputs = reachableInputs(deps.deployments, at.name, at.version);
        if ('error' in inputs && inputs.status === 404) return reply.status(404).send({ error: inputs.error });
        const ready = !('error' in inputs);
        return reply.status(ready ? 200 : 400).send({ name: at.name, ready });
      });
      v2.post(`${path}/infer`, model, async (request, reply) => infer(deps, request, reply));
    }
  }, { prefix: '/v2' });

  await app.register(async (v1) => {
    protocolErrors(v1);
    const model = modelRouteOptions(deps);
    v1.get('/v1/models/:name', model, async (request, reply) => {
      const { name } = request.params as ModelParams;
      const inputs = reachableInputs(deps.deployments, name);
      if ('error' in inputs && inputs.status === 404) return reply.status(404).send({ error: inputs.error });
      return { name, ready: !('error' in inputs) };
    });
    // `::` is a literal colon in a Fastify path, but a parameter runs on over it (find-my-way ends
    // one only at '/', '-' or '.'), so the name is a regex parameter that stops at the colon.
    v1.post('/v1/models/:name(^[^/:]+)::predict', model, async (request, reply) => predictInstances(deps, request, reply));
  });
};

async function infer(deps: OpenInferenceDeps, request: FastifyRequest, reply: FastifyReply) {
  const at = target(request.params as ModelParams);
  if ('error' in at) return reply.status(400).send(at);
  const split = splitBody(request);
  if ('error' in split) return reply.status(400).send(split);
  const inputs = reachableInputs(deps.deployments, at.name, at.version);
  if ('error' in inputs) return refuse(reply, inputs.status, inputs.error);
  const body = decodeInferRequest(split.json, split.binary, inputs, deps.maxBatch, reachableTask(deps.deployments, at.name, at.version));
  if (!body.ok) return reply.status(400).send({ error: body.error });
  const header = request.headers[ROUTING_KEY_HEADER];
  const routingKey = body.routingKey ?? (typeof header === 'string' ? header : undefined);
  const served = await deps.inference.infer({ model: at.name, rows: body.rows, routingKey, clientId: body.id, version: at.version, protocol: 'oip-rest' }, request.log);
  if (!served.ok) return refuse(reply, served.status, served.message);
  // The feedback key is always server-issued (a caller's own id could name someone else's
  // request); without an id of its own the caller gets it as `id`. Pinned requests have none.
  const parameters = served.pinned ? undefined : { request_id: served.requestId };
  const id = body.id ?? (served.pinned ? undefined : served.requestId);
  const head = { model: at.name, version: served.version, id, parameters };
  if (!body.outputs.some((o) => o.binary)) return reply.type(JSON_TYPE).send(encodeInferResponseText(head, served.scores, body.outputs, served.task));
  const encoded = encodeInferResponse(head, served.scores, body.outputs, served.task);
  const json = Buffer.from(JSON.stringify(encoded.json));
  return reply
    .header(HEADER_LENGTH, String(json.length))
    .type('application/octet-stream')
    .send(Buffer.concat([json, ...encoded.binary]));
}

async function predictInstances(deps: OpenInferenceDeps, request: FastifyRequest, reply: FastifyReply) {
  const { name } = request.params as ModelParams;
  const instances = (request.body as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances) || instances.length === 0 || instances.length > deps.maxBatch) {
    return reply.status(400).send({ error: `"instances": an array of 1 to ${deps.maxBatch} feature objects, or of value lists in the model's input order` });
  }
  const inputs = reachableInputs(deps.deployments, name);
  if ('error' in inputs) return refuse(reply, inputs.status, inputs.error);
  const rows = new Array<FeatureRow>(instances.length);
  for (let i = 0; i < instances.length; i++) {
    const row = instanceRow(instances[i], inputs.map((x) => x.name));
    if (typeof row === 'string') return reply.status(400).send({ error: `instances[${i}]: ${row}` });
    rows[i] = row;
  }
  const header = request.headers[ROUTING_KEY_HEADER];
  const served = await deps.inference.infer({ model: name, rows, routingKey: typeof header === 'string' ? header : undefined, protocol: 'kserve-v1' }, request.log);
  if (!served.ok) return refuse(reply, served.status, served.message);
  return reply
    .header(REQUEST_ID_HEADER, served.requestId)
    .header(MODEL_VERSION_HEADER, String(served.version))
    .send({ predictions: served.task.task === 'binary' ? Array.from(served.scores) : taskPredictions(served.task, served.scores) });
}

/** A KServe V1 instance: a feature object, or a list of values in the model's input order. */
function instanceRow(instance: unknown, names: readonly string[]): FeatureRow | string {
  const values = Array.isArray(instance) ? instance : undefined;
  if (values && values.length !== names.length) return `a list of ${names.length} values (${names.join(', ')}); got ${values.length}`;
  if (!values && (typeof instance !== 'object' || instance === null)) return `a feature object, e.g. {"${names[0]}": ...}, or a list of ${names.length} values`;
  const row: FeatureRow = {};
  for (let i = 0; i < names.length; i++) {
    const v = values ? values[i] : (instance as Record<string, unknown>)[names[i]];
    if (v !== undefined && v !== null && typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return `"${names[i]}": a number, string, boolean or null`;
    row[names[i]] = v as FeatureRow[string];
  }
  return row;
}

/** The model and, on a versioned path, the pinned version. */
function target(params: ModelParams): { name: string; version?: number } | { error: string } {
  if (params.version === undefined) return { name: params.name };
  if (!/^[1-9][0-9]{0,8}$/.test(params.version)) return { error: `version "${params.version}" is not a version number (a positive integer)` };
  return { name: params.name, version: Number(params.version) };
}

/** The JSON part and the binary part of an inference body. */
function splitBody(request: FastifyRequest): { json: unknown; binary?: Buffer } | { error: string } {
  const raw = request.body as Buffer | undefined;
  if (!raw || raw.length === 0) return { error: 'empty request body: send a JSON object with "inputs"' };
  const header = request.headers[HEADER_LENGTH];
  let end = raw.length;
  if (header !== undefined) {
    end = Number(header);
    if (!Number.isInteger(end) || end < 1 || end > raw.length) return { error: `${HEADER_LENGTH} ${JSON.stringify(header)}: the length of the JSON part, 1 to ${raw.length}` };
  }
  try {
    return { json: JSON.parse(raw.toString('utf8', 0, end)), ...(end < raw.length ? { binary: raw.subarray(end) } : {}) };
  } catch (err) {
    return { error: `the request's JSON part is not valid JSON: ${(err as Error).message}` };
  }
}

function refuse(reply: FastifyReply, status: number, error: string) {
  if (status === 503) reply.header('retry-after', '1');
  return reply.status(status).send({ error });
}

function modelRouteOptions(deps: OpenInferenceDeps) {
  const preParsing = guard(deps);
  return { config: deps.rateLimit, ...(preParsing ? { preParsing } : {}) };
}

/** The same check as /v1 predictions (routes/predict.ts), answered in the protocol's error shape. */
function guard(deps: OpenInferenceDeps) {
  const auth = deps.predictAuthenticator;
  if (!auth) return undefined;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const retryAfter = deps.throttle?.blockedFor(request.ip);
    if (retryAfter !== undefined) {
      return reply.status(429).header('retry-after', String(retryAfter)).send({ error: `too many failed authentications from this address; try again in ${retryAfter} s` });
    }
    const token = bearerToken(request.headers.authorization);
    const principal = token ? await auth.authenticate(token) : undefined;
    if (token && !principal) deps.throttle?.recordFailure(request.ip);
    const decision = decide(principal, 'predict', { model: (request.params as { name?: string }).name });
    if (decision.allowed) return;
    deps.metrics.reject(decision.status === 401 ? 'unauthenticated' : 'forbidden');
    if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.status(decision.status).send({ error: `prediction refused: ${decision.reason}` });
  };
}

/** Errors Fastify raises itself (bad JSON, body too large, rate limit) in the protocol's shape. */
function protocolErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.status(status).send({ error: err.message });
    request.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: 'the request failed; see the server log' });
  });
}
