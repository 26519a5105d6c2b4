/**
 * Shadow mode on the real model server (in-process Fastify, real ONNX models from the registry):
 * a version at weight 0 named `shadow` never answers a caller, scores every routed request on
 * every protocol off the response path, keeps its own live stats, and gets the label of each
 * request it scored, so its live quality is measured on the champion's requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createServingWorld, flight, LABELER_TOKEN, startServer, tinyFlightsModel, tinyScore, type ServingWorld } from './serving-fixtures';
import type { ModelServer } from '../../src/serving/model-server';
import { delongTest, pairedMean } from '../../src/evaluation/paired-tests';
import { binaryLogLoss } from '../../src/serving/label-window';
import { syntheticTraffic } from './canary-fixtures';

const CHAMPION = { distance: 2 };
/** Ranks flights the wrong way round: live AUC near 0.1 on the synthetic labels. */
const SHADOW = { distance: -2 };
const INPUTS = ['hour', 'weekday', 'month', 'distance', 'origin', 'destination'] as const;

let world: ServingWorld;
let server: ModelServer;
let base: string;
let champion: number;
let shadow: number;

beforeAll(async () => {
  world = await createServingWorld();
  champion = (await world.register('shadowed', tinyFlightsModel(CHAMPION))).version;
  shadow = (await world.register('shadowed', tinyFlightsModel(SHADOW))).version;
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0 }));
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

const anon = { token: null } as const;
const deployment = async () => (await call(base, 'GET', '/admin/v1/models/shadowed/deployment')).body;
const statsOf = async (version: number) => (await call(base, 'GET', `/admin/v1/models/shadowed/stats?version=${version}`)).body;

/** Waits (bounded) until the shadow has scored every mirrored request. */
async function drained(): Promise<void> {
  for (let i = 0; i < 200 && server.shadow.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(server.shadow.inFlight).toBe(0);
}

describe('shadow mode', () => {
  it('refuses a shadow that is not in the deployment at weight 0, or set by a labeler, and changes nothing', async () => {
    const put = await call(base, 'PUT', '/admin/v1/models/shadowed/deployment', { versions: [{ version: champion, weight: 100 }] });
    expect(put.status).toBe(200);
    const before = await deployment();
    const bad = [
      { versions: [{ version: champion, weight: 100 }], shadow },
      { versions: [{ version: champion, weight: 90 }, { version: shadow, weight: 10 }], shadow },
    ];
    for (const body of bad) {
      const res = await call(base, 'PUT', '/admin/v1/models/shadowed/deployment', body);
      expect(res.status).toBe(400);
      expect(res.body.problems).toEqual(['body.shadow: the shadow version must be listed in "versions" with weight 0: a shadow gets no routed traffic']);
    }
    const labeler = await call(base, 'PUT', '/admin/v1/models/shadowed/deployment', { versions: [{ version: champion, weight: 100 }, { version: shadow, weight: 0 }], shadow }, { token: LABELER_TOKEN });
    expect(labeler.status).toBe(403);
    const anonymous = await call(base, 'PUT', '/admin/v1/models/shadowed/deployment', { versions: [{ version: champion, weight: 100 }, { version: shadow, weight: 0 }], shadow }, anon);
    expect(anonymous.status).toBe(401);
    expect(await deployment()).toEqual(before);
  });

  it('scores every routed request on /v1, KServe V1 and OIP REST in the shadow, answers each from the champion, and credits labels to both', async () => {
    const put = await call(base, 'PUT', '/admin/v1/models/shadowed/deployment', { versions: [{ version: champion, weight: 100 }, { version: shadow, weight: 0 }], shadow, reason: 'shadow test' });
    expect(put.status).toBe(200);
    expect(put.body.deployment).toMatchObject({ shadow, versions: [{ version: champion, share: 1 }, { version: shadow, weight: 0, share: 0 }] });
    // The same PUT again changes nothing; the shadow is part of what is compared.
    expect((await call(base, 'PUT', '/admin/v1/models/shadowed/deployment', { versions: [{ version: champion, weight: 100 }, { version: shadow, weight: 0 }], shadow })).body.changed).toBe(false);

    const since = Date.now();
    const { rows, labels } = syntheticTraffic(240, 7);
    const served: number[] = [];
    const keys: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as ReturnType<typeof flight>;
      const protocol = i % 3;
      if (protocol === 0) {
        const res = await call(base, 'POST', '/v1/models/shadowed/predict', { rows: [row] }, anon);
        expect(res.status).toBe(200);
        expect(res.body.predictions[0].score).toBeCloseTo(tinyScore(CHAMPION, row), 5);
        served.push(res.body.version);
        keys.push(res.body.requestId);
      } else if (protocol === 1) {
        const res = await call(base, 'POST', '/v1/models/shadowed:predict', { instances: [row] }, anon);
        expect(res.status).toBe(200);
        expect(res.body.predictions[0]).toBeCloseTo(tinyScore(CHAMPION, row), 5);
        served.push(Number(res.headers.get('x-slipway-model-version')));
        keys.push(res.headers.get('x-slipway-request-id')!);
      } else {
        const inputs = INPUTS.map((name) => ({ name, datatype: name === 'origin' || name === 'destination' ? 'BYTES' : 'FP32', shape: [1, 1], data: [row[name]] }));
        const res = await call(base, 'POST', '/v2/models/shadowed/infer', { inputs }, anon);
        expect(res.status).toBe(200);
        expect(res.body.outputs[0].data[0]).toBeCloseTo(tinyScore(CHAMPION, row), 5);
        served.push(Number(res.body.model_version));
        keys.push(res.body.parameters.request_id);
      }
    }
    // Every answer came from the champion: the shadow took no traffic.
    expect(new Set(served)).toEqual(new Set([champion]));
    await drained();
    for (let i = 0; i < keys.length; i++) {
      const fb = await call(base, 'POST', '/v1/models/shadowed/feedback', { requestId: keys[i], label: labels[i] }, { token: LABELER_TOKEN });
      expect(fb.status).toBe(200);
    }

    const stats = (await call(base, 'GET', `/admin/v1/models/shadowed/stats?since=${since}`)).body;
    const byVersion = Object.fromEntries(stats.versions.map((v: { version: number }) => [v.version, v]));
    expect(byVersion[champion].requests).toBe(rows.length);
    expect(byVersion[shadow]).toMatchObject({ requests: rows.length, errors: 0, weight: 0, share: 0 });
    expect(byVersion[shadow].feedback.labels).toBe(rows.length);
    expect(byVersion[champion].feedback.labels).toBe(rows.length);
    // Same requests, same labels: the good champion ranks them well, the reversed shadow badly.
    expect(byVersion[champion].feedback.auc).toBeGreaterThan(0.75);
    expect(byVersion[shadow].feedback.auc).toBeLessThan(0.25);
    expect(byVersion[shadow].feedback.auc).toBeCloseTo(1 - byVersion[champion].feedback.auc, 5);
    // Paired by request id: DeLong's test and the paired log-loss difference over the same rows, as the offline tests compute them.
    const shadowScores = rows.map((r) => tinyScore(SHADOW, r as ReturnType<typeof flight>));
    const championScores = rows.map((r) => tinyScore(CHAMPION, r as ReturnType<typeof flight>));
    const reference = delongTest(shadowScores, championScores, labels);
    const lossReference = pairedMean(shadowScores.map((p, i) => binaryLogLoss(p, labels[i])), championScores.map((p, i) => binaryLogLoss(p, labels[i])));
    expect(byVersion[shadow].paired).toHaveLength(1);
    const [paired] = byVersion[shadow].paired;
    expect(paired).toMatchObject({ against: champion, labels: rows.length, loss: 'logLoss' });
    expect(paired.aucDifference.estimate).toBeCloseTo(reference.difference, 4);
    expect(paired.aucDifference.standardError).toBeCloseTo(reference.standardError, 4);
    expect(paired.lossDifference.mean).toBeCloseTo(lossReference.mean, 4);
    expect(byVersion[champion].paired).toBeUndefined();
    expect(stats.shadow).toEqual({ version: shadow, scored: rows.length, failed: 0, dropped: 0 });
    const metrics = (await call(base, 'GET', '/metrics', undefined, anon)).body as string;
    expect(metrics).toMatch(new RegExp(`slipway_serving_shadow_requests_total\\{model="shadowed",version="${shadow}",outcome="scored"\\} ${rows.length}`));
  });

  it('does not mirror versioned (pinned) requests, and a deployment without the shadow field clears it', async () => {
    const before = (await statsOf(shadow)).versions[0].requests;
    const pinned = await call(base, 'POST', `/v2/models/shadowed/versions/${champion}/infer`, { inputs: INPUTS.map((name) => ({ name, datatype: name === 'origin' || name === 'destination' ? 'BYTES' : 'FP32', shape: [1], data: [flight(900)[name]] })) }, anon);
    expect(pinned.status).toBe(200);
    const put = await call(base, 'PUT', '/admin/v1/models/shadowed/deployment', { versions: [{ version: champion, weight: 100 }, { version: shadow, weight: 0 }] });
    expect(put.body).toMatchObject({ changed: true });
    expect(put.body.deployment.shadow).toBeUndefined();
    expect((await call(base, 'POST', '/v1/models/shadowed/predict', { rows: [flight(1200)] }, anon)).status).toBe(200);
    await drained();
    expect((await statsOf(shadow)).versions[0].requests).toBe(before);
  });
});
