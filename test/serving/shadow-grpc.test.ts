/**
 * Shadow mode on the Open Inference Protocol's gRPC port (a real grpc-js client against the
 * server's real gRPC service): a gRPC request routed to the champion is mirrored to the shadow
 * like a REST one, answered from the champion only, and its label credits both.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOipGrpcServer } from '../../src/serving/grpc/oip-grpc';
import type { ModelServer } from '../../src/serving/model-server';
import { syntheticTraffic } from './canary-fixtures';
import { call, createServingWorld, type flight, LABELER_TOKEN, startServer, tinyFlightsModel, tinyScore, type ServingWorld } from './serving-fixtures';

const CHAMPION = { distance: 2 };
/** Ranks flights the wrong way round: live AUC near 0.1 on the synthetic labels. */
const SHADOW = { distance: -2 };
const INPUTS = ['hour', 'weekday', 'month', 'distance', 'origin', 'destination'] as const;

let world: ServingWorld;
let server: ModelServer;
let base: string;
let grpcServer: Awaited<ReturnType<typeof startOipGrpcServer>>;
let client: any;

beforeAll(async () => {
  world = await createServingWorld();
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0 }));
  grpcServer = await startOipGrpcServer(server.protocol, { host: '127.0.0.1', port: 0, rateLimitPerSecond: 0 });
  const definition = protoLoader.loadSync(join(__dirname, '..', '..', 'src', 'serving', 'grpc', 'grpc_predict_v2.proto'), { keepCase: true, longs: Number, defaults: true, oneofs: true });
  const Service = (grpc.loadPackageDefinition(definition) as any).inference.GRPCInferenceService as grpc.ServiceClientConstructor;
  client = new Service(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await grpcServer?.close();
  await server?.app.close();
  await world?.close();
});

function infer(row: ReturnType<typeof flight>): Promise<any> {
  const inputs = INPUTS.map((name) =>
    name === 'origin' || name === 'destination'
      ? { name, datatype: 'BYTES', shape: [1, 1], contents: { bytes_contents: [Buffer.from(String(row[name]))] } }
      : { name, datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [row[name]] } },
  );
  return new Promise((resolve, reject) => client.ModelInfer({ model_name: 'grpc-shadowed', inputs }, new grpc.Metadata(), (err: unknown, out: unknown) => (err ? reject(err) : resolve(out))));
}

it('mirrors every gRPC ModelInfer routed to the champion into the shadow, answers from the champion, and credits labels to both', async () => {
  const champion = (await world.register('grpc-shadowed', tinyFlightsModel(CHAMPION))).version;
  const shadow = (await world.register('grpc-shadowed', tinyFlightsModel(SHADOW))).version;
  const put = await call(base, 'PUT', '/admin/v1/models/grpc-shadowed/deployment', { versions: [{ version: champion, weight: 100 }, { version: shadow, weight: 0 }], shadow, reason: 'grpc shadow test' });
  expect(put.status).toBe(200);

  const since = Date.now();
  const { rows, labels } = syntheticTraffic(120, 11);
  const ids: string[] = [];
  for (const row of rows as ReturnType<typeof flight>[]) {
    const res = await infer(row);
    expect(res.model_version).toBe(String(champion));
    const probability = res.outputs.findIndex((o: { name: string }) => o.name === 'probability');
    expect(Buffer.from(res.raw_output_contents[probability]).readFloatLE(0)).toBeCloseTo(tinyScore(CHAMPION, row), 5);
    ids.push(res.id);
  }
  for (let i = 0; i < 200 && server.shadow.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(server.shadow.inFlight).toBe(0);
  for (let i = 0; i < ids.length; i++) {
    expect((await call(base, 'POST', '/v1/models/grpc-shadowed/feedback', { requestId: ids[i], label: labels[i] }, { token: LABELER_TOKEN })).status).toBe(200);
  }

  const stats = (await call(base, 'GET', `/admin/v1/models/grpc-shadowed/stats?since=${since}`)).body;
  const byVersion = Object.fromEntries(stats.versions.map((v: { version: number }) => [v.version, v]));
  expect(stats.shadow).toEqual({ version: shadow, scored: rows.length, failed: 0, dropped: 0 });
  expect(byVersion[shadow]).toMatchObject({ requests: rows.length, errors: 0, weight: 0, share: 0 });
  expect(byVersion[champion].feedback.labels).toBe(rows.length);
  expect(byVersion[shadow].feedback.labels).toBe(rows.length);
  expect(byVersion[champion].feedback.auc).toBeGreaterThan(0.75);
  expect(byVersion[shadow].feedback.auc).toBeCloseTo(1 - byVersion[champion].feedback.auc, 5);
});
