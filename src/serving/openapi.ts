/**
 * The model server's OpenAPI document (`GET /openapi.json`), built by @fastify/swagger from the
 * registered routes like the API's (src/api/server.ts), so a route cannot be missing from it.
 * Routes that check their bodies by hand on the hot path (/v1 predict, OIP infer, KServe V1
 * :predict) carry no zod schema; their request and answer shapes are described here instead,
 * merged in by operation, so the route files stay as they are.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { PROBLEM_JSON } from './routes/problem';

/** OpenAPI fragments here are plain JSON; the document as a whole is validated in the tests. */
type Json = Record<string, unknown>;
interface Operation extends Json {
  responses?: Record<string, Json>;
}

const problemBody = (description: string): Json => ({ description, content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } } });
const oipError = (description: string): Json => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ProtocolError' } } } });
const json = (description: string, schema: Json): Json => ({ description, content: { 'application/json': { schema } } });
const jsonBody = (schema: Json): Json => ({ required: true, content: { 'application/json': { schema } } });

const featureValue = { oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }], nullable: true };
const featureRow = { type: 'object', additionalProperties: featureValue, description: 'One row: feature name → value, e.g. {"distance": 740, "origin": "ORD"}' };
const tensor = {
  type: 'object',
  required: ['name', 'datatype', 'shape'],
  properties: {
    name: { type: 'string' },
    datatype: { type: 'string', enum: ['BOOL', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES'] },
    shape: { type: 'array', items: { type: 'integer' } },
    parameters: { type: 'object', additionalProperties: true },
    data: { type: 'array', items: {} },
  },
};

/** Problem responses every Slipway (non-protocol) route may give. */
const SLIPWAY_ERRORS = { 400: problemBody('The request is invalid; `problems` lists each field'), 429: problemBody('Rate limited per connection address') };
/** Errors in the protocols' own `{"error": "..."}` shape. */
const PROTOCOL_ERRORS = { 400: oipError('The request is invalid'), 404: oipError('Unknown model or version'), 429: oipError('Rate limited'), 503: oipError('No version can serve (Retry-After set)') };
const PREDICT_AUTH = 'Open unless the server runs with predictions authenticated (SLIPWAY_SERVE_PREDICT_AUTH): then a bearer token allowed `predict` (any role but labeler).';

/** Documentation of operations whose routes check their bodies by hand: `method path` → operation fields. */
const OPERATIONS: Record<string, Operation> = {
  'post /v1/models/{name}/predict': {
    summary: 'Predict one row or a batch (Slipway protocol)',
    description: `Routed by the deployment's weighted split; a routing key (body or x-routing-key header) keeps a caller on one version. ${PREDICT_AUTH}`,
    requestBody: jsonBody({
      type: 'object',
      properties: { row: featureRow, rows: { type: 'array', items: featureRow, minItems: 1 }, routingKey: { type: 'string', minLength: 1, maxLength: 256 } },
      description: 'Exactly one of row or rows',
    }),
    responses: {
      200: json('Scores of the version that answered; requestId is the feedback key', {
        type: 'object',
        required: ['requestId', 'version', 'predictions'],
        properties: {
          requestId: { type: 'string' },
          version: { type: 'integer' },
          predictions: { type: 'array', items: { type: 'object', properties: { score: { type: 'number' }, label: { type: 'integer', enum: [0, 1] } } } },
        },
      }),
      ...SLIPWAY_ERRORS,
      404: problemBody('The model is not deployed'),
      503: problemBody('Overloaded or no version can serve (Retry-After set)'),
    },
  },
  'post /v1/models/{name}:predict': {
    summary: 'KServe V1 predict with instances',
    description: `Instances are feature objects or value lists in the model's input order. The feedback key and version answer as the x-slipway-request-id and x-slipway-model-version headers. ${PREDICT_AUTH}`,
    requestBody: jsonBody({ type: 'object', required: ['instances'], properties: { instances: { type: 'array', minItems: 1, items: { oneOf: [featureRow, { type: 'array', items: featureValue }] } } } }),
    responses: { 200: json('P(label = 1) per instance', { type: 'object', properties: { predictions: { type: 'array', items: { type: 'number' } } } }), ...PROTOCOL_ERRORS },
  },
  'get /v1/models/{name}': {
    summary: 'KServe V1 model status',
    responses: { 200: json('Whether a version can serve', { type: 'object', properties: { name: { type: 'string' }, ready: { type: 'boolean' } } }), 404: oipError('Not deployed') },
  },
  'post /v2/models/{name}/infer': {
    summary: 'Open Inference Protocol inference (routed by the split)',
    description: `One tensor per input ([n] or [n,1]) or one row-major tensor [n, inputs]; JSON or the binary tensor data extension (inference-header-content-length). The answer's parameters.request_id is the feedback key. ${PREDICT_AUTH}`,
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: { type: 'object', required: ['inputs'], properties: { id: { type: 'string' }, parameters: { type: 'object', additionalProperties: true }, inputs: { type: 'array', items: tensor }, outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } } },
        },
        'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      },
    },
    responses: {
      200: json('Output tensors probability (FP32) and label (INT64)', { type: 'object', properties: { model_name: { type: 'string' }, model_version: { type: 'string' }, id: { type: 'string' }, parameters: { type: 'object', additionalProperties: true }, outputs: { type: 'array', items: tensor } } }),
      ...PROTOCOL_ERRORS,
    },
  },
  'post /v2/models/{name}/versions/{version}/infer': { summary: 'Open Inference Protocol inference pinned to one version (no feedback key)' },
  'get /v2/models/{name}': { summary: 'Open Inference Protocol model metadata (inputs and outputs with names, datatypes and shapes)', responses: { 404: oipError('Not deployed') } },
  'get /v2/models/{name}/versions/{version}': { summary: 'Open Inference Protocol metadata of one version', responses: { 404: oipError('Not deployed') } },
  'get /v2/models/{name}/ready': { summary: 'Open Inference Protocol model readiness (400 when not ready)' },
  'get /v2/models/{name}/versions/{version}/ready': { summary: 'Open Inference Protocol readiness of one version' },
  'get /v2': { summary: 'Open Inference Protocol server metadata' },
  'get /v2/health/live': { summary: 'Open Inference Protocol liveness' },
  'get /v2/health/ready': { summary: 'Open Inference Protocol readiness (400 when a deployed model cannot serve)' },
  'post /v1/models/{name}/feedback': {
    summary: 'Ground-truth label(s) for an earlier prediction',
    description: 'Needs a bearer token allowed `feedback` on the model (labeler role with a grant, or admin); a per-source quota applies.',
    security: [{ bearer: [] }],
    responses: { ...SLIPWAY_ERRORS, 401: problemBody('No or unknown token'), 403: problemBody('The token may not label this model'), 404: problemBody('Unknown request id'), 409: problemBody('Already labelled'), 503: problemBody('Feedback disabled, or the inference log could not take the label (retry-after; nothing recorded)') },
  },
  'post /v1/models/{name}/logs': {
    summary: 'Prediction logs of a model served elsewhere (KServe payload-logger CloudEvents, or NDJSON)',
    description:
      'Binary-mode CloudEvents (ce-* headers), structured application/cloudevents+json, or application/x-ndjson (docs/inference-log.md). Needs a bearer token allowed `predictions.log` on the model (labeler role with a grant, or admin); its name is the rows\' source. 200 once the rows are fsynced; a refused or invalid request stores nothing.',
    security: [{ bearer: [] }],
    responses: { ...SLIPWAY_ERRORS, 401: problemBody('No or unknown token'), 403: problemBody('The token may not log for this model'), 503: problemBody('No inference log, or its buffer is full (retry-after)') },
  },
  'get /admin/v1/deployments': { summary: 'Every deployment: versions, weights, traffic shares and load states' },
  'get /admin/v1/models/{name}/deployment': { summary: "A model's deployment", responses: { 404: problemBody('Not deployed') } },
  'put /admin/v1/models/{name}/deployment': {
    summary: "Set a model's versions and weights (canary split); loads every version before switching",
    responses: { ...SLIPWAY_ERRORS, 409: problemBody('expectedRevision is stale'), 422: problemBody('A version could not be loaded; the running deployment is unchanged'), 500: problemBody('Changed, but the audit entry could not be written') },
  },
  'delete /admin/v1/models/{name}/deployment': { summary: "Remove a model's deployment", responses: { 404: problemBody('Not deployed') } },
  'get /admin/v1/models/{name}/stats': { summary: 'Per-version request stats and live quality over a window (what the canary analysis reads)', responses: { 404: problemBody('Neither deployed nor with stats') } },
  'get /healthz': { summary: 'The process answers' },
  'get /readyz': { summary: 'Every deployed model has a version that serves (503 otherwise, with the problems listed)' },
  'get /metrics': { summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } } },
};

const ADMIN: Operation = {
  description: 'Reads need any role; changes need `deployment.change` on the model (approver with a grant on its champion, or admin) and are audited.',
  security: [{ bearer: [] }],
  responses: { 401: problemBody('No or unknown token'), 403: problemBody('The role may not do this'), 503: problemBody('The admin API is disabled') },
};

const TAGS: [RegExp, string][] = [
  [/^\/v2/, 'Open Inference Protocol'],
  [/:predict$|^\/v1\/models\/\{name\}$/, 'KServe V1'],
  [/\/feedback$/, 'Feedback'],
  [/\/logs$/, 'Prediction logs'],
  [/^\/admin/, 'Admin'],
  [/^\/v1/, 'Predictions'],
  [/.*/, 'Health and metrics'],
];

/** Options of @fastify/swagger for the model server; register it before any route is added. */
export function servingOpenApiOptions(serverVersion: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      info: { title: 'Slipway model server', version: serverVersion, description: 'Predictions (Slipway /v1, KServe V1, Open Inference Protocol REST), feedback, admin and health. Errors are RFC 9457 problem details, except on the KServe V1 and Open Inference Protocol routes, which answer {"error": "..."} as those protocols define.' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          Problem: {
            type: 'object',
            required: ['type', 'title', 'status', 'detail'],
            properties: {
              type: { type: 'string' },
              title: { type: 'string' },
              status: { type: 'integer' },
              detail: { type: 'string' },
              statusCode: { type: 'integer' },
              error: { type: 'string' },
              message: { type: 'string' },
              problems: { type: 'array', items: { type: 'string' } },
            },
          },
          ProtocolError: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => ('openapiObject' in document ? withOperationDocs(document.openapiObject as { paths?: Record<string, Record<string, Operation>> }) : document.swaggerObject),
  };
}

function withOperationDocs<D extends { paths?: Record<string, Record<string, Operation>> }>(doc: D): D {
  // A prefixed plugin's '/' route (GET /v2) comes out as '/v2/'; the server answers '/v2'.
  doc.paths = Object.fromEntries(Object.entries(doc.paths ?? {}).map(([path, item]) => [path.length > 1 ? path.replace(/\/$/, '') : path, item]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const extra = OPERATIONS[`${method} ${path}`] ?? {};
      const admin = path.startsWith('/admin') ? ADMIN : {};
      Object.assign(op, admin, extra, {
        tags: [TAGS.find(([re]) => re.test(path))![1]],
        responses: { ...op.responses, ...admin.responses, ...extra.responses },
      });
    }
  }
  return doc;
}
