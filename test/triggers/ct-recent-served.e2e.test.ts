/**
 * Continuous training whose named pipeline asks for the recent-traffic gate (issue 19): the
 * retraining run is an ordinary pipeline child, so its evaluate step judges the challenger on the
 * champion's served, feedback-labelled traffic too. Real dev server, worker (createWorker with the
 * inference-log folder), model server with its inference log and feedback route, DuckDB and ONNX.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';
import type { RecentComparison } from '../../src/evaluation/recent-gate';
import { readWindows } from '../../src/serving/inference-log/log-manifest';
import type { ModelServer } from '../../src/serving/model-server';
import type { ContinuousTrainingStatus } from '../../src/workflows/continuous-training-status';
import { INGEST_WEEK } from '../caching/caching-harness';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { call, createServingWorld, LABELER_TOKEN, startServer, type ServingWorld } from '../serving/serving-fixtures';

const MODEL = 'ct-recent';
const PIPELINE = {
  name: 'ct-recent',
  model: MODEL,
  steps: [
    { id: 'ingest', kind: 'ingest', with: INGEST_WEEK },
    { id: 'validate', kind: 'validate', dependsOn: ['ingest'], with: { minRows: 1000 } },
    { id: 'train', kind: 'train', dependsOn: ['validate'], with: { trainer: 'builtin', features: { numeric: ['distance'], categorical: ['weekday'] }, params: { epochs: 2, seed: 7 } } },
    { id: 'evaluate', kind: 'evaluate', dependsOn: ['train'], with: { primaryMetric: 'auc', recent: { served: { window: '1 hour' } } } },
    { id: 'register', kind: 'register', dependsOn: ['evaluate'] },
    { id: 'promote', kind: 'promote', dependsOn: ['register'] },
  ],
};
/** What the retrain changes: a model that also sees the hour and airports (better on the holdout). */
const STRONG = { train: { features: { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'] } } };

describe('continuous training with the recent-traffic gate in its pipeline', () => {
  let env: TestWorkflowEnvironment;
  let world: ServingWorld;
  let server: ModelServer;
  let base: string;
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-ct-recent-'));
    const pipelinesDir = path.join(dir, 'pipelines');
    await mkdir(pipelinesDir);
    // JSON is YAML: the named pipeline as its owner would deploy it.
    await writeFile(path.join(pipelinesDir, 'ct-recent.yaml'), JSON.stringify(PIPELINE));
    world = await createServingWorld();
    const logDir = path.join(dir, 'inference-log');
    ({ server, base } = await startServer(world, {}, { inferenceLog: { dir: logDir, store: world.store, rates: { defaultRate: 1, perModel: new Map() }, windowMs: 1000 } }));
    env = await startDevServer();
    h = await startHarness(env, {
      SLIPWAY_REGISTRY_PATH: world.registryPath,
      SLIPWAY_ARTIFACT_ROOT: world.artifactRoot,
      SLIPWAY_PIPELINES_DIR: pipelinesDir,
      SLIPWAY_INFERENCE_LOG_DIR: logDir,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await h?.close();
    await env?.teardown();
    await world?.close();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const check = (workflowId: string, policy: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
    env.client.workflow.execute('continuousTraining', {
      taskQueue: h.config.taskQueue,
      workflowId,
      args: [{ model: MODEL, pipeline: 'ct-recent', overrides, maxChecks: 1, checkEvery: '1s', policy }],
    }) as Promise<ContinuousTrainingStatus>;

  it("keeps the champion when the retrained challenger, better on the holdout, loses on the champion's labelled served traffic", async () => {
    const first = (await check('ct-recent-first', { minNewRows: 1e9 })).decisions[0];
    expect(first).toMatchObject({ retrain: true, outcome: 'promoted' });
    const champion = (await world.registry.getAlias(MODEL, 'champion'))!;

    // The champion serves 200 real later-March flights; the labels come from a regime where it is right.
    expect((await call(base, 'PUT', `/admin/v1/models/${MODEL}/deployment`, { versions: [{ version: champion.version, weight: 100 }] })).status).toBe(200);
    const source = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
    const rows = await withDuckDb({ threads: 1 }, (conn) =>
      queryRows(conn, `SELECT hour(date)::INTEGER AS hour, dayofweek(date)::INTEGER AS weekday, distance::DOUBLE AS distance, origin, destination FROM read_parquet(${sqlString(source)})
        WHERE date >= TIMESTAMP '2001-03-20' ORDER BY hash(date, origin, destination, distance, delay) LIMIT 200`),
    );
    const served = [];
    for (let i = 0; i < rows.length; i += 25) {
      const r = await call(base, 'POST', `/v1/models/${MODEL}/predict`, { rows: rows.slice(i, i + 25) }, { token: null });
      expect(r.status).toBe(200);
      served.push({ requestId: String(r.body.requestId), scores: (r.body.predictions as { score: number }[]).map((p) => p.score) });
    }
    const median = served.flatMap((q) => q.scores).sort((a, b) => a - b)[rows.length / 2];
    for (const q of served) {
      const r = await call(base, 'POST', `/v1/models/${MODEL}/feedback`, { requestId: q.requestId, labels: q.scores.map((s) => (s > median ? 1 : 0)) }, { token: LABELER_TOKEN });
      expect(r.status).toBe(200);
    }
    const deadline = Date.now() + 60_000;
    while ((await readWindows(path.join(dir, 'inference-log'))).reduce((n, w) => n + w.rows, 0) < 2 * rows.length) {
      if (Date.now() > deadline) throw new Error('served rows and labels not sealed within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }

    // An age trigger fires; the retrain is the named pipeline with the stronger features.
    const decision = (await check('ct-recent-retrain', { minNewRows: 1e9, maxModelAge: '1 second' }, STRONG)).decisions[0];
    expect(decision).toMatchObject({ retrain: true, outcome: 'rejected' });
    const run = await env.client.workflow.getHandle(decision.workflowId!).result();
    const evaluate = run.outputs.evaluate.summary;
    expect(evaluate.comparison?.passed).toBe(true);
    const recent = evaluate.recent as RecentComparison;
    expect(recent).toMatchObject({ outcome: 'compared', passed: false, labelled: rows.length, served: { model: MODEL, window: '1 hour' } });
    expect(recent.comparison!.improvement).toBeLessThan(0);
    expect(evaluate.reasons).toEqual([recent.reason]);
    expect((await world.registry.getAlias(MODEL, 'champion'))?.version).toBe(champion.version);
  }, 300_000);
});
