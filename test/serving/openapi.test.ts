/**
 * The model server's OpenAPI document, fetched from a real server and validated by
 * @apidevtools/swagger-parser (a validator we did not write), with every registered route in it;
 * and its error bodies: problem+json on Slipway's routes, `{"error": ...}` where the KServe V1 and
 * Open Inference Protocol specs define their own shape.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelServer } from '../../src/serving/model-server';
import { call, createServingWorld, flight, startServer, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

let world: ServingWorld;
let server: ModelServer;
let base: string;
let doc: { openapi: string; paths: Record<string, Record<string, { summary?: string; tags?: string[]; security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>> };

beforeAll(async () => {
  world = await createServingWorld();
  const v1 = (await world.register('docs', tinyFlightsModel({ distance: 1 }))).version;
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0 }));
  expect((await call(base, 'PUT', '/admin/v1/models/docs/deployment', { versions: [{ version: v1, weight: 1 }] })).status).toBe(200);
  const res = await fetch(`${base}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

/** Fastify's route path as OpenAPI writes it: `:name` → `{name}`, a regex parameter without its regex, `::` a literal colon. */
const openApiPath = (url: string) =>
  url
    .split('::')
    .map((part) => part.replace(/:([A-Za-z_]+)(\([^)]*\))?/g, '{$1}'))
    .join(':')
    .replace(/\/$/, '') || '/';

describe('model server OpenAPI document', () => {
  it('is a valid OpenAPI 3 document (swagger-parser)', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('documents every registered route but itself, with a summary and a tag', () => {
    const registered = server.routes.filter((r) => r.url !== '/openapi.json').map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`);
    expect(registered.length).toBeGreaterThanOrEqual(20);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(registered.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((d) => !registered.includes(d))).toEqual([]);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(op.tags, `${method} ${path}`).toHaveLength(1);
      }
    }
  });

  it('covers /v1, KServe V1, the Open Inference Protocol, feedback and admin, with their error shapes and who may call', () => {
    const tags = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => op.tags ?? [])));
    expect([...tags].sort()).toEqual(['Admin', 'Feedback', 'Health and metrics', 'KServe V1', 'Open Inference Protocol', 'Prediction logs', 'Predictions']);
    expect(doc.paths['/v1/models/{name}/predict'].post.responses['400'].content).toHaveProperty(['application/problem+json']);
    expect(doc.paths['/v2/models/{name}/infer'].post.responses['400'].content).toHaveProperty(['application/json']);
    expect(doc.paths['/v1/models/{name}:predict'].post.responses['400'].content).toHaveProperty(['application/json']);
    expect(doc.paths['/admin/v1/models/{name}/deployment'].put.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/admin/v1/models/{name}/deployment'].put.responses['403'].content).toHaveProperty(['application/problem+json']);
    expect(doc.paths['/v1/models/{name}/feedback'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v2']).toHaveProperty('get');
  });
});

describe('model server error bodies', () => {
  const problemShape = (status: number) => expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), statusCode: status });

  it.each([
    ['a bad /v1 predict body', 'POST', '/v1/models/docs/predict', { rows: [] }, null, 400],
    ['an undeployed model on /v1', 'POST', '/v1/models/nobody/predict', { row: flight(100) }, null, 404],
    ['feedback without a token', 'POST', '/v1/models/docs/feedback', { requestId: 'r', label: 1 }, null, 401],
    ['the admin API without a token', 'GET', '/admin/v1/deployments', undefined, null, 401],
    ['an admin change failing its zod schema', 'PUT', '/admin/v1/models/docs/deployment', { versions: 'all' }, undefined, 400],
    ['an unknown deployment', 'GET', '/admin/v1/models/nobody/deployment', undefined, undefined, 404],
    ['an unknown route', 'GET', '/v3/nothing', undefined, null, 404],
  ] as const)('answers %s as application/problem+json', async (_case, method, path, body, token, status) => {
    const before = await call(base, 'GET', '/admin/v1/models/docs/deployment');
    const res = await call(base, method, path, body, { token });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(problemShape(status));
    // Nothing changed: the deployment is as it was.
    expect((await call(base, 'GET', '/admin/v1/models/docs/deployment')).body.revision).toBe(before.body.revision);
  });

  it.each([
    ['OIP inference with no inputs', 'POST', '/v2/models/docs/infer', { id: 'x' }, 400],
    ['OIP metadata of an undeployed model', 'GET', '/v2/models/nobody', undefined, 404],
    ['KServe V1 :predict without instances', 'POST', '/v1/models/docs:predict', { rows: [] }, 400],
  ] as const)('answers %s in the protocol’s {"error": ...} shape', async (_case, method, path, body, status) => {
    const res = await call(base, method, path, body, { token: null });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(typeof res.body.error).toBe('string');
  });

  it('keeps successful answers plain JSON', async () => {
    const res = await call(base, 'POST', '/v1/models/docs/predict', { row: flight(1500) }, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
