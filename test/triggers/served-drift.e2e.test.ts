/**
 * Continuous training acting on a model served elsewhere (issue 18): a simulated external KServe
 * server's payload logger posts CloudEvents (through the CloudEvents Python SDK) of real flights to
 * a real model server process's log route; ground truth follows as NDJSON labels joined by ce-id.
 * A pipeline whose source is `served` trains the first champion on that labelled served window; a
 * later in-distribution window does not trigger the drift probe, a drifted one (the served traffic
 * shifts to long evening flights) does, and the retrain runs with the probe's figures recorded.
 * Real dev server, worker, DuckDB, artifact store and HTTP throughout.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';
import { readWindows } from '../../src/serving/inference-log/log-manifest';
import { killHard, spawnServer, type ServerProcess } from '../../src/serving/server-process';
import type { ContinuousTrainingStatus } from '../../src/workflows/continuous-training-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { ADMIN_TOKEN, createServingWorld, serverProcessEnv, LABELER_TOKEN, type ServingWorld } from '../serving/serving-fixtures';

const MODEL = 'ext-flights';
const PIPELINE = `
name: served-flights
model: ${MODEL}
steps:
  - id: ingest
    kind: ingest
    with:
      source: { served: { model: ${MODEL}, window: "1 day" } }
      timeColumn: served_at
      features:
        - { name: hour, column: hour, transform: double }
        - { name: distance, column: distance, transform: double }
        - { name: origin, column: origin }
      label: { name: label, column: label }
      split: { strategy: time, holdoutFraction: 0.2 }
  - id: validate
    kind: validate
    dependsOn: [ingest]
    with:
      minRows: 100
      # p < 0.001 per column and half the columns: an in-distribution window drifts by chance about once in 10^5 checks.
      drift: { threshold: 0.001 }
      # Selecting flights by hour and distance also moves delay rates within slices; the probe's drift verdict decides here.
      severity: { labelConsistency: warn, confidentDisagreement: warn, triggerPatterns: warn, labelRateShift: warn, positiveRate: warn }
  - id: train
    kind: train
    dependsOn: [validate]
    with:
      trainer: builtin
      features: { numeric: [hour, distance], categorical: [origin] }
      params: { epochs: 3, seed: 7 }
  - id: evaluate
    kind: evaluate
    dependsOn: [train]
    with: { primaryMetric: auc, firstRun: pass }
  - id: register
    kind: register
    dependsOn: [evaluate]
  - id: promote
    kind: promote
    dependsOn: [register]
`;

interface Flight {
  features: { hour: number; distance: number; origin: string };
  label: 0 | 1;
}

/**
 * Real flights of two March weeks from the eight busiest origins, in a fixed pseudo-random order
 * (a hash): 600 to train on, 300 more of the same kind, and 300 long (> 1,200 miles) evening
 * flights. The later batches keep to the first one's ranges (a 300-row sample has a flight
 * beyond a 600-row sample's extremes about half the time), so the schema's range checks pass and
 * only drift tells them apart.
 */
async function loadFlights(): Promise<{ train: Flight[]; same: Flight[]; drifted: Flight[] }> {
  const source = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
  const rows = await withDuckDb({ threads: 1 }, (conn) =>
    queryRows(
      conn,
      `WITH f AS (SELECT hour(date)::INTEGER AS hour, distance::DOUBLE AS distance, origin, (delay > 15)::INTEGER AS label, hash(date, origin, destination, distance, delay) AS h
          FROM read_parquet(${sqlString(source)}) WHERE date >= TIMESTAMP '2001-03-01' AND date < TIMESTAMP '2001-03-15'),
        top AS (SELECT origin FROM f GROUP BY origin ORDER BY count(*) DESC LIMIT 8),
        pool AS (SELECT f.*, row_number() OVER (ORDER BY h) AS i FROM f JOIN top USING (origin)),
        bounds AS (SELECT min(distance) AS dmin, max(distance) AS dmax, min(hour) AS hmin, max(hour) AS hmax FROM pool WHERE i <= 600)
      SELECT 'train' AS part, hour, distance, origin, label FROM pool WHERE i <= 600
      UNION ALL (SELECT 'same', hour, distance, origin, label FROM pool, bounds
        WHERE i > 600 AND i <= 1200 AND distance BETWEEN dmin AND dmax AND hour BETWEEN hmin AND hmax ORDER BY i LIMIT 300)
      UNION ALL (SELECT 'drifted', hour, distance, origin, label FROM pool, bounds
        WHERE i > 1200 AND distance > 1200 AND distance <= dmax AND hour >= 17 AND hour <= hmax ORDER BY i LIMIT 300)`,
    ),
  );
  const part = (name: string): Flight[] =>
    rows.filter((r) => r.part === name).map((r) => ({ features: { hour: Number(r.hour), distance: Number(r.distance), origin: String(r.origin) }, label: Number(r.label) as 0 | 1 }));
  return { train: part('train'), same: part('same'), drifted: part('drifted') };
}

describe('continuous training on the served traffic of a model served elsewhere', () => {
  let env: TestWorkflowEnvironment;
  let world: ServingWorld;
  let server: ServerProcess;
  let h: Harness;
  let dir: string;
  let logDir: string;
  let python: string;
  let flights: Awaited<ReturnType<typeof loadFlights>>;
  /** Rows the model server has acknowledged so far (each prediction: request, response and label). */
  let acknowledged = 0;
  const windows: Record<'train' | 'same' | 'drifted', { from: string; to: string }> = {} as never;

  beforeAll(async () => {
    python = execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'log-client.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-served-ct-'));
    logDir = path.join(dir, 'inference-log');
    const pipelinesDir = path.join(dir, 'pipelines');
    await mkdir(pipelinesDir);
    await writeFile(path.join(pipelinesDir, 'served-flights.yaml'), PIPELINE);
    world = await createServingWorld();
    flights = await loadFlights();
    // The model server only takes the logs here: the model itself runs "elsewhere" (the simulated KServe server).
    server = await spawnServer({
      ...serverProcessEnv(world),
      SLIPWAY_SERVE_LABELER_TOKEN: LABELER_TOKEN,
      SLIPWAY_INFERENCE_LOG_DIR: logDir,
      SLIPWAY_SERVE_LOG_WINDOW_SECONDS: '1',
    });
    env = await startDevServer();
    // The worker reads the same log folder and artifact store (a shared volume in production).
    h = await startHarness(env, {
      SLIPWAY_REGISTRY_PATH: world.registryPath,
      SLIPWAY_ARTIFACT_ROOT: world.artifactRoot,
      SLIPWAY_PIPELINES_DIR: pipelinesDir,
      SLIPWAY_INFERENCE_LOG_DIR: logDir,
    });
  });

  afterAll(async () => {
    if (server) await killHard(server);
    await h?.close();
    await env?.teardown();
    await world?.close();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const logsUrl = () => `${server.base}/v1/models/${MODEL}/logs`;

  /** The external server's payload logger posts `batch` as CloudEvents; returns the ce-ids in order. */
  async function stream(batch: Flight[], token: string): Promise<{ statuses: Record<string, number>; ids: string[] }> {
    const file = path.join(dir, `batch-${Date.now()}.json`);
    // The external model's own score: longer flights are late more often.
    await writeFile(file, JSON.stringify(batch.map((f) => ({ features: f.features, score: 1 / (1 + Math.exp(-(f.features.distance - 1000) / 500)) }))));
    const { stdout } = await promisify(execFile)(python, [path.join(__dirname, '..', 'serving', 'kserve_flights_stream.py'), logsUrl(), token, file], { encoding: 'utf8' });
    return JSON.parse(stdout) as { statuses: Record<string, number>; ids: string[] };
  }

  /** Ground truth as it arrives later: NDJSON label lines keyed by the ce-id, from the same source. */
  async function postLabels(ids: string[], batch: Flight[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 200) {
      const body = ids.slice(i, i + 200).map((id, j) => JSON.stringify({ requestId: id, label: batch[i + j].label })).join('\n');
      const r = await fetch(logsUrl(), { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${LABELER_TOKEN}` }, body });
      expect(r.status, await r.text()).toBe(200);
    }
  }

  /** Waits (bounded) until every acknowledged row is in a sealed Parquet window the worker can read. */
  async function sealed(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let rows = 0;
    while (Date.now() < deadline) {
      rows = (await readWindows(logDir, { model: MODEL })).reduce((n, w) => n + w.rows, 0);
      if (rows >= acknowledged) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`only ${rows} of ${acknowledged} logged rows sealed within 60 s`);
  }

  /** Streams one batch with its labels, waits until it is readable and records its time window. */
  async function serve(name: keyof typeof windows, batch: Flight[]): Promise<void> {
    const from = new Date().toISOString();
    const sent = await stream(batch, LABELER_TOKEN);
    expect(sent.statuses).toEqual({ 200: 2 * batch.length });
    await postLabels(sent.ids, batch);
    acknowledged += 3 * batch.length;
    await sealed();
    windows[name] = { from, to: new Date().toISOString() };
  }

  const check = (workflowId: string, window: { from: string; to: string }, policy: Record<string, unknown>) =>
    env.client.workflow.execute('continuousTraining', {
      taskQueue: h.config.taskQueue,
      workflowId,
      args: [{ model: MODEL, pipeline: 'served-flights', overrides: { ingest: { window } }, maxChecks: 1, checkEvery: '1s', policy }],
    }) as Promise<ContinuousTrainingStatus>;
  const DRIFT_ONLY = { minNewRows: 1e9, onDrift: true };

  it('refuses a payload logger without a valid token, storing nothing', async () => {
    const refused = await stream(flights.train.slice(0, 3), 'x'.repeat(64));
    expect(refused.statuses).toEqual({ 401: 6 });
    expect(await readWindows(logDir, { model: MODEL })).toEqual([]);
  });

  it('trains the first champion on the labelled served window', async () => {
    await serve('train', flights.train);
    const status = await check('served-ct-first', windows.train, DRIFT_ONLY);
    const decision = status.decisions[0];
    expect(decision.error).toBeUndefined();
    expect(decision).toMatchObject({ retrain: true, reasons: [`model "${MODEL}" has no champion yet`], outcome: 'promoted' });
    const run = await env.client.workflow.getHandle(decision.workflowId!).result();
    const ingest = run.outputs.ingest.summary;
    expect(ingest.source).toBe(`served:${MODEL}`);
    expect(ingest.trainRows + ingest.holdoutRows).toBe(flights.train.length);
    const positives = flights.train.filter((f) => f.label === 1).length / flights.train.length;
    expect((ingest.trainRows * ingest.trainPositiveRate + ingest.holdoutRows * ingest.holdoutPositiveRate) / flights.train.length).toBeCloseTo(positives, 6);
    expect(run.outputs.validate.summary.passed).toBe(true);
  });

  it('probes an in-distribution served window and leaves the champion alone, with the figures', async () => {
    await serve('same', flights.same);
    const status = await check('served-ct-same', windows.same, DRIFT_ONLY);
    const decision = status.decisions[0];
    expect(decision.retrain).toBe(false);
    expect(decision.workflowId).toBeUndefined();
    expect(decision.reasons.at(-1)).toMatch(/^no drift against the champion's training data .*; probe .*: .*distance ks /);
    expect(decision.drift).toMatchObject({ detected: false, maxDriftedFraction: 0.5 });
    expect(decision.drift!.columns.map((c) => c.column).sort()).toEqual(['distance', 'hour', 'origin']);
    const probe = await env.client.workflow.getHandle(decision.drift!.probeWorkflowId).result();
    expect(probe.outputs.ingest.summary.trainRows + probe.outputs.ingest.summary.holdoutRows).toBe(flights.same.length);
  });

  it('retrains when the served traffic drifts, recording each column\'s statistic and threshold', async () => {
    await serve('drifted', flights.drifted);
    const status = await check('served-ct-drifted', windows.drifted, DRIFT_ONLY);
    const decision = status.decisions[0];
    expect(decision.retrain).toBe(true);
    expect(decision.reasons).toEqual([expect.stringMatching(/^drift detected against the champion's training data in .*distance.*; probe .*distance ks \S+ < 0\.001/)]);
    const drift = decision.drift!;
    expect(drift.detected).toBe(true);
    expect(drift.share!).toBeGreaterThanOrEqual(drift.maxDriftedFraction!);
    for (const column of ['distance', 'hour']) {
      const c = drift.columns.find((x) => x.column === column)!;
      expect(c).toMatchObject({ method: 'ks', threshold: 0.001, direction: 'below', drifted: true });
      expect(c.statistic).toBeLessThan(0.001);
    }
    // The retrain: a pipeline run of the served window, started by the trigger.
    expect(decision.workflowId).toMatch(new RegExp(`^${MODEL}-retrain-served-ct-drifted-1$`));
    expect(['promoted', 'rejected']).toContain(decision.outcome);
    const run = await env.client.workflow.getHandle(decision.workflowId!).result();
    expect(run.model).toBe(MODEL);
    expect(run.outputs.ingest.summary.trainRows + run.outputs.ingest.summary.holdoutRows).toBe(flights.drifted.length);
    expect(run.outputs.train).toBeDefined();
  });
});
