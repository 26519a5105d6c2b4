/**
 * Who may call the standard protocols: with SLIPWAY_SERVE_PREDICT_AUTH the OIP (REST and gRPC)
 * and KServe V1 model routes need a token allowed `predict`, as /v1 predictions do, and every
 * route shares the per-address rate limit. Each refusal is in the protocol's shape and changes
 * nothing: no request in the stats, no feedback key issued.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticTokenAuthenticator } from '../../src/auth/authenticator';
import { FileDeploymentStore } from '../../src/serving/file-deployment-store';
import { startOipGrpcServer, type OipGrpcServer } from '../../src/serving/grpc/oip-grpc';
import { RegistryModelLoader } from '../../src/serving/model-loader';
import { buildModelServer, type ModelServer } from '../../src/serving/model-server';
import { ADMIN_TOKEN, call, createServingWorld, flight, LABELER_TOKEN, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

const INPUTS = ['hour', 'weekday', 'month', 'distance', 'origin', 'destination'];
const tensors = (row = flight(900)) =>
  INPUTS.map((name) => ({ name, datatype: name === 'origin' || name === 'destination' ? 'BYTES' : 'FP32', shape: [1, 1], data: [row[name as keyof typeof row]] }));

let world: ServingWorld;
let server: ModelServer;
let base: string;
let grpcServer: OipGrpcServer;
let client: grpc.Client & Record<string, (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: any) => void) => void>;

beforeAll(async () => {
  world = await createServingWorld();
  const { version } = await world.register('delays', tinyFlightsModel({ distance: 1 }));
  server = await buildModelServer({
    loader: new RegistryModelLoader(world.registry, world.store),
    store: new FileDeploymentStore(world.statePath),
    adminAuthenticator: new StaticTokenAuthenticator([
      { name: 'test', token: ADMIN_TOKEN },
      { name: 'labeler', token: LABELER_TOKEN, roles: ['labeler'], grants: [{ model: '*', alias: '*' }] },
    ]),
    predictAuth: true,
    limits: { rateLimitPerSecond: 0 },
    processMetrics: false,
  });
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  expect((await call(base, 'PUT', '/admin/v1/models/delays/deployment', { versions: [{ version, weight: 1 }] })).status).toBe(200);
  grpcServer = await startOipGrpcServer(server.protocol, { host: '127.0.0.1', port: 0, rateLimitPerSecond: 3 });
  const definition = protoLoader.loadSync(join(__dirname, '..', '..', 'src', 'serving', 'grpc', 'grpc_predict_v2.proto'), { keepCase: true, longs: Number, defaults: true, oneofs: true });
  const Service = (grpc.loadPackageDefinition(definition) as any).inference.GRPCInferenceService as grpc.ServiceClientConstructor;
  client = new Service(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure()) as any;
});

afterAll(async () => {
  client?.close();
  await grpcServer?.close();
  await server?.app.close();
  await world?.close();
});

const requests = async () => ((await call(base, 'GET', '/admin/v1/models/delays/stats')).body.versions as { requests: number }[])[0].requests;

describe('predict authentication on the standard protocols', () => {
  it.each([
    ['OIP infer', 'POST', '/v2/models/delays/infer', { inputs: tensors() }],
    ['OIP model metadata', 'GET', '/v2/models/delays', undefined],
    ['OIP model ready', 'GET', '/v2/models/delays/ready', undefined],
    ['KServe V1 predict', 'POST', '/v1/models/delays:predict', { instances: [flight(900)] }],
  ])('refuses %s without a token (401) and for a labeler (403), changing nothing', async (_what, method, path, body) => {
    const before = await requests();
    const anonymous = await call(base, method, path, body, { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.body).toEqual({ error: expect.stringMatching(/^prediction refused: no valid API token/) });
    const labeler = await call(base, method, path, body, { token: LABELER_TOKEN });
    expect(labeler.status).toBe(403);
    expect(labeler.body.error).toMatch(/labeler.*may not predict/);
    expect(await requests()).toBe(before);
    // The same call with a token allowed `predict` is served.
    expect((await call(base, method, path, body, { token: ADMIN_TOKEN })).status).toBe(200);
  });

  it('keeps health and server metadata open, as /healthz is', async () => {
    expect((await call(base, 'GET', '/v2/health/ready', undefined, { token: null })).status).toBe(200);
    expect((await call(base, 'GET', '/v2', undefined, { token: null })).status).toBe(200);
  });

  it('refuses gRPC ModelInfer without a token and over the per-address rate, changing nothing', async () => {
    const request = { model_name: 'delays', inputs: tensors().map(({ data, ...t }) => ({ ...t, contents: t.datatype === 'BYTES' ? { bytes_contents: data.map((v) => Buffer.from(String(v))) } : { fp32_contents: data } })) };
    const infer = (token?: string) =>
      new Promise<{ code: number; details?: string; res?: any }>((resolve) => {
        const md = new grpc.Metadata();
        if (token) md.set('authorization', `Bearer ${token}`);
        client.ModelInfer(request, md, (err, res) => resolve(err ? { code: err.code, details: err.details } : { code: 0, res }));
      });
    // A fresh one-second window, so the three allowed calls fall in it.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    const before = await requests();
    const anonymous = await infer();
    expect(anonymous).toEqual({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/prediction refused: no valid API token/) });
    const labeler = await infer(LABELER_TOKEN);
    expect(labeler.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(await requests()).toBe(before);
    const served = await infer(ADMIN_TOKEN);
    expect(served.code).toBe(0);
    expect(served.res.parameters.request_id.string_param).toMatch(/^[0-9a-f-]{36}$/);
    const over = await infer(ADMIN_TOKEN);
    expect(over).toEqual({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'rate limit of 3 requests a second per address exceeded' });
    expect(await requests()).toBe(before + 1);
  });
});

describe('rate limit on the standard protocols', () => {
  it('answers 429 in the protocol’s shape once an address is over its rate, serving nothing more', async () => {
    const limited = await buildModelServer({
      loader: new RegistryModelLoader(world.registry, world.store),
      store: new FileDeploymentStore(world.statePath),
      limits: { rateLimitPerSecond: 3 },
      processMetrics: false,
    });
    const url = await limited.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await call(url, 'POST', '/v2/models/delays/infer', { inputs: tensors() }, { token: null }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
      expect(answers[3].body).toEqual({ error: expect.stringMatching(/Rate limit exceeded/i) });
      expect(answers[3].headers.get('retry-after')).toBeTruthy();
    } finally {
      await limited.app.close();
    }
  });
});
