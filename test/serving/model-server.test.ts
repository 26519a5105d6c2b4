/**
 * The model server in-process on a real port, with real ONNX models from a real registry
 * and artifact store: predictions, canary splits, sticky routing, feedback, tampering,
 * switches under load, overload, metrics and the admin API's guard.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelServer } from '../../src/serving/model-server';
import { call, createServingWorld, flight, LABELER_TOKEN, startServer, tinyFlightsModel, tinyScore, type ServingWorld } from './serving-fixtures';

const CHAMPION = { bias: -1, distance: 1 };
const CANARY = { bias: 1, distance: -1, ord: 2 };
// Late exactly when distance > 1000: the first is always right, the second always wrong.
const RIGHT = { distance: 2 };
const WRONG = { distance: -2 };

let world: ServingWorld;
let server: ModelServer;
let base: string;
let v1: number;
let v2: number;

beforeAll(async () => {
  world = await createServingWorld();
  v1 = (await world.register('delays', tinyFlightsModel(CHAMPION))).version;
  v2 = (await world.register('delays', tinyFlightsModel(CANARY))).version;
  ({ server, base } = await startServer(world, { rateLimitPerSecond: 0 }));
});

afterAll(async () => {
  await server?.app.close();
  await world?.close();
});

const deploy = (model: string, versions: { version: number; weight: number }[]) => call(base, 'PUT', `/admin/v1/models/${model}/deployment`, { versions });
const predict = (model: string, body: unknown, headers: Record<string, string> = {}) => call(base, 'POST', `/v1/models/${model}/predict`, body, { token: null, headers });

describe('model server', () => {
  it('answers a row and a batch with the request id, the version and the model’s scores', async () => {
    expect((await deploy('delays', [{ version: v1, weight: 1 }])).status).toBe(200);

    const one = await predict('delays', { row: flight(1500) });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ version: v1, predictions: [{ label: 1 }] });
    expect(one.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(one.body.predictions[0].score).toBeCloseTo(tinyScore(CHAMPION, { distance: 1500, origin: 'ATL' }), 5);

    const batch = await predict('delays', { rows: [flight(200), flight(1000), flight(2500)] });
    expect(batch.body.predictions.map((p: { label: number }) => p.label)).toEqual([0, 0, 1]);
    expect(batch.body.predictions[2].score).toBeCloseTo(tinyScore(CHAMPION, { distance: 2500, origin: 'ATL' }), 5);

    expect((await predict('delays', { row: flight(1), rows: [flight(1)] })).status).toBe(400);
    expect((await predict('nobody', { row: flight(1) })).status).toBe(404);
  });

  it('gives each of many concurrent requests the scores of its own rows (they share batched runs)', async () => {
    const distances = Array.from({ length: 60 }, (_, i) => 100 + i * 37);
    const answers = await Promise.all(distances.map((d, i) => predict('delays', i % 3 === 0 ? { rows: [flight(d), flight(d + 1)] } : { row: flight(d) })));
    answers.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body.predictions).toHaveLength(i % 3 === 0 ? 2 : 1);
      expect(res.body.predictions[0].score).toBeCloseTo(tinyScore(CHAMPION, { distance: distances[i], origin: 'ATL' }), 5);
    });
  });

  it('splits traffic by weight and keeps a routing key on one version', async () => {
    const put = await deploy('delays', [{ version: v1, weight: 90 }, { version: v2, weight: 10 }]);
    expect(put.body.deployment.versions.map((v: { share: number }) => v.share)).toEqual([0.9, 0.1]);

    // Distinct keys hash uniformly under the deployment's random salt, so the canary's share of 400 callers
    // is Binomial(400, 0.1)/400: sd 0.015, and the bounds below sit 4 sd out (a false failure about 1 in 16,000).
    const versions: number[] = [];
    for (let i = 0; i < 40; i++) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, j) => predict('delays', { row: flight(800) }, { 'x-routing-key': `caller-${i}-${j}` })));
      versions.push(...batch.map((r) => r.body.version));
    }
    const canaryShare = versions.filter((v) => v === v2).length / versions.length;
    expect(canaryShare).toBeGreaterThan(0.04);
    expect(canaryShare).toBeLessThan(0.16);

    for (const key of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const byHeader = await Promise.all(Array.from({ length: 8 }, () => predict('delays', { row: flight(800) }, { 'x-routing-key': key })));
      const byBody = await predict('delays', { row: flight(800), routingKey: key });
      expect(new Set([...byHeader.map((r) => r.body.version), byBody.body.version]).size).toBe(1);
    }
  });

  it('is idempotent: the same deployment again changes nothing', async () => {
    const before = await call(base, 'GET', '/admin/v1/models/delays/deployment');
    const again = await deploy('delays', [{ version: v1, weight: 90 }, { version: v2, weight: 10 }]);
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
    expect(again.body.deployment.revision).toBe(before.body.revision);
    expect(again.body.deployment.updatedAt).toBe(before.body.updatedAt);
  });

  it('applies a change only at the expected revision when asked to (compare-and-set)', async () => {
    const [a, b] = await registerAndDeploy('cas', [CHAMPION, CANARY], [90, 10]);
    const stale = await call(base, 'PUT', '/admin/v1/models/cas/deployment', { versions: [{ version: a, weight: 50 }, { version: b, weight: 50 }], expectedRevision: 7 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'Conflict', revision: 1 });
    const fresh = await call(base, 'PUT', '/admin/v1/models/cas/deployment', { versions: [{ version: a, weight: 50 }, { version: b, weight: 50 }], expectedRevision: 1 });
    expect(fresh.body).toMatchObject({ changed: true, deployment: { revision: 2 } });
    // A retry of the same change after it landed is answered as done, whatever revision it expected.
    const retried = await call(base, 'PUT', '/admin/v1/models/cas/deployment', { versions: [{ version: a, weight: 50 }, { version: b, weight: 50 }], expectedRevision: 1 });
    expect(retried.body).toMatchObject({ changed: false, deployment: { revision: 2 } });
    expect((await call(base, 'PUT', '/admin/v1/models/newcomer/deployment', { versions: [{ version: a, weight: 1 }], expectedRevision: 1 })).status).toBe(409);
  });

  it('credits feedback to the version that answered and reports live accuracy and AUC', async () => {
    await registerAndDeploy('quality', [RIGHT, WRONG], [1, 1]);
    const since = Date.now();
    const rows = [200, 400, 600, 900, 1100, 1400, 1700, 2000].map((d) => flight(d));
    for (const [i, row] of rows.entries()) {
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
        const res = await predict('quality', { row, routingKey: `${key}${i}` });
        const fb = await call(base, 'POST', '/v1/models/quality/feedback', { requestId: res.body.requestId, label: row.distance > 1000 ? 1 : 0 }, { token: LABELER_TOKEN });
        expect(fb.status).toBe(200);
      }
    }
    const batch = await predict('quality', { rows: [flight(300), flight(1800)], routingKey: 'batch' });
    expect((await call(base, 'POST', '/v1/models/quality/feedback', { requestId: batch.body.requestId, labels: [0, 1] }, { token: LABELER_TOKEN })).status).toBe(200);
    expect((await call(base, 'POST', '/v1/models/quality/feedback', { requestId: batch.body.requestId, labels: [0, 1] }, { token: LABELER_TOKEN })).status).toBe(409);
    expect((await call(base, 'POST', '/v1/models/quality/feedback', { requestId: 'no-such-request', label: 1 }, { token: LABELER_TOKEN })).status).toBe(404);

    const stats = await call(base, 'GET', `/admin/v1/models/quality/stats?since=${new Date(since).toISOString()}`);
    expect(stats.status).toBe(200);
    const [champion, canary] = stats.body.versions;
    expect(champion.requests + canary.requests).toBe(65);
    expect(champion.feedback.labels + canary.feedback.labels).toBe(66);
    expect(champion.feedback).toMatchObject({ accuracy: 1, auc: 1 });
    expect(canary.feedback).toMatchObject({ accuracy: 0, auc: 0 });
    expect(champion).toMatchObject({ errors: 0, errorRate: 0, state: 'serving', weight: 1, share: 0.5 });
    expect(champion.latencyMs.p99).toBeGreaterThan(0);
    expect(champion.scores.edges).toHaveLength(21);
    expect(champion.scores.counts.reduce((a: number, b: number) => a + b, 0)).toBe(champion.rows);

    const future = await call(base, 'GET', `/admin/v1/models/quality/stats?since=${Date.now() + 5000}&version=${champion.version}`);
    expect(future.body.versions).toEqual([expect.objectContaining({ requests: 0, errorRate: null, feedback: { labels: 0, positives: 0, accuracy: null, auc: null, logLoss: null, logLossSd: null } })]);
  });

  it('refuses a version whose artifact was tampered with, keeps serving the running one and reports it', async () => {
    const good = await world.register('tamper', tinyFlightsModel({ bias: 0.5 }));
    const bad = await world.register('tamper', tinyFlightsModel({ bias: -0.5 }));
    expect((await deploy('tamper', [{ version: good.version, weight: 1 }])).status).toBe(200);

    const file = join(world.artifactRoot, 'sha256', bad.artifact.sha256.slice(0, 2), bad.artifact.sha256);
    const bytes = await readFile(file);
    bytes[bytes.length - 5] ^= 0xff;
    await chmod(file, 0o644);
    await writeFile(file, bytes);

    const refused = await deploy('tamper', [{ version: good.version, weight: 90 }, { version: bad.version, weight: 10 }]);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'DeploymentRefused', failures: [{ version: bad.version, error: 'ArtifactIntegrityError' }] });
    expect(refused.body.message).toContain(bad.artifact.sha256);

    const running = await call(base, 'GET', '/admin/v1/models/tamper/deployment');
    expect(running.body.versions).toEqual([expect.objectContaining({ version: good.version, state: 'serving', share: 1 })]);
    expect((await predict('tamper', { row: flight(1000) })).body.version).toBe(good.version);
    const metrics = await call(base, 'GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toContain(`slipway_serving_model_load_failures_total{model="tamper",version="${bad.version}",error="ArtifactIntegrityError"} 1`);
  });

  it('never drops an in-flight request while versions and weights switch', async () => {
    const [a, b] = await registerAndDeploy('switch', [CHAMPION, CANARY], [1, 0]);
    const requests: Promise<{ status: number; body: any }>[] = [];
    const switches: Promise<{ status: number }>[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 20; i++) requests.push(predict('switch', { rows: Array.from({ length: 50 }, (_, j) => flight(100 * j)) }));
      switches.push(deploy('switch', round % 2 === 0 ? [{ version: b, weight: 1 }] : [{ version: a, weight: 3 }, { version: b, weight: 1 }]));
    }
    const results = await Promise.all(requests);
    expect((await Promise.all(switches)).map((s) => s.status)).toEqual(Array(10).fill(200));
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
    expect(results.every((r) => r.body.predictions.length === 50)).toBe(true);
    expect(new Set(results.map((r) => r.body.version))).toEqual(new Set([a, b]));
    const final = await call(base, 'GET', '/admin/v1/models/switch/deployment');
    expect(final.body.revision).toBe(11);
    expect(final.body.versions.every((v: { inFlight: number }) => v.inFlight === 0)).toBe(true);
  });

  it('exposes per-version series on /metrics', async () => {
    const res = await call(base, 'GET', '/metrics', undefined, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.body).toMatch(new RegExp(`slipway_serving_requests_total\\{model="delays",version="${v1}",outcome="ok"\\} \\d+`));
    expect(res.body).toMatch(new RegExp(`slipway_serving_requests_total\\{model="delays",version="${v2}",outcome="ok"\\} \\d+`));
    expect(res.body).toContain(`slipway_serving_request_duration_seconds_bucket{le="0.005",model="delays",version="${v1}"}`);
    expect(res.body).toContain(`slipway_serving_prediction_score_bucket{le="0.5",model="delays",version="${v2}"}`);
    expect(res.body).toContain(`slipway_serving_traffic_share{model="delays",version="${v2}"} 0.1`);
    expect(res.body).toMatch(/slipway_serving_live_accuracy\{model="quality",version="\d+"\} 1/);
  });

  it('guards the admin API with the bearer token and leaves health and predictions open', async () => {
    expect((await call(base, 'GET', '/admin/v1/deployments', undefined, { token: null })).status).toBe(401);
    expect((await call(base, 'GET', '/admin/v1/deployments', undefined, { token: 'wrong-token' })).status).toBe(401);
    const list = await call(base, 'GET', '/admin/v1/deployments');
    expect(list.body.deployments.map((d: { model: string }) => d.model)).toEqual(['cas', 'delays', 'quality', 'switch', 'tamper']);
    expect((await call(base, 'GET', '/healthz', undefined, { token: null })).body).toEqual({ ok: true });
    const ready = await call(base, 'GET', '/readyz', undefined, { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body.problems).toEqual([]);
    expect((await deploy('delays', [{ version: v1, weight: 0 }])).status).toBe(400);
    expect((await deploy('delays', [{ version: v1, weight: 1 }, { version: v1, weight: 2 }])).status).toBe(400);
    expect((await deploy('delays', [{ version: 99, weight: 1 }])).body.failures[0]).toMatchObject({ version: 99, error: 'RegistryError' });
  });
});

async function registerAndDeploy(model: string, weights: Parameters<typeof tinyFlightsModel>[0][], shares: number[]): Promise<number[]> {
  const versions: number[] = [];
  for (const w of weights) versions.push((await world.register(model, tinyFlightsModel(w))).version);
  const res = await deploy(model, versions.map((version, i) => ({ version, weight: shares[i] })));
  expect(res.status).toBe(200);
  return versions;
}
