/**
 * Continuous training: the per-model workflow retrains when its triggers fire (no champion,
 * new data after the champion's window, drift, the champion's live quality on a real model
 * server) and leaves the champion alone when nothing changed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFlightTraffic, replayTraffic, type FlightTraffic } from '../../tools/replay-traffic';
import type { ContinuousTrainingStatus } from '../../src/workflows/continuous-training-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { startCanaryWorld, type CanaryWorld } from '../serving/canary-fixtures';
import { call, LABELER_TOKEN } from '../serving/serving-fixtures';

const window = (to: string) => ({ ingest: { window: { from: '2001-03-01', to } } });

describe('continuous training', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    env = await startDevServer();
    h = await startHarness(env);
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-ct-'));
  });

  afterAll(async () => {
    await h?.close();
    await env?.teardown();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const watch = (
    workflowId: string,
    overrides: Record<string, Record<string, unknown>>,
    policy: Record<string, unknown> = { minNewRows: 1000 },
    model = 'ct-model',
  ) =>
    env.client.workflow.execute('continuousTraining', {
      taskQueue: h.config.taskQueue,
      workflowId,
      args: [{ model, pipeline: 'flight-delay-builtin', overrides, maxChecks: 1, checkEvery: '1s', policy }],
    }) as Promise<ContinuousTrainingStatus>;

  it('trains a first champion when the model has none', async () => {
    const status = await watch('ct-first', window('2001-03-10'));
    expect(status.decisions).toHaveLength(1);
    expect(status.decisions[0]).toMatchObject({ retrain: true, reasons: ['model "ct-model" has no champion yet'], outcome: 'promoted' });
  });

  it('does not retrain when no new data arrived', async () => {
    const status = await watch('ct-unchanged', window('2001-03-10'));
    expect(status.decisions[0].retrain).toBe(false);
    expect(status.decisions[0].reasons[0]).toMatch(/^0 rows arrived after the champion's data window/);
    expect(status.decisions[0].workflowId).toBeUndefined();
  });

  it('retrains once new data arrives, and records why', async () => {
    const status = await watch('ct-new-data', window('2001-03-17'));
    const decision = status.decisions[0];
    expect(decision.retrain).toBe(true);
    expect(decision.reasons[0]).toMatch(/^\d{5,} rows arrived after the champion's data window \(ends 2001-03-10/);
    expect(decision.championVersion).toBe(1);
    expect(['promoted', 'rejected']).toContain(decision.outcome);
    const child = await env.client.workflow.getHandle(decision.workflowId!).result();
    expect(child.model).toBe('ct-model');
    expect(child.outputs.ingest.summary.trainRows).toBeGreaterThan(100_000);
  });

  it('incremental: a retrain reads only the rows after the champion\'s data window, keeping the caller\'s other ingest overrides', async () => {
    const first = await watch('ct-incremental-first', window('2001-03-10'), { minNewRows: 1000, incremental: true }, 'ct-incremental');
    // No champion yet: the pipeline's own window, no incremental line.
    expect(first.decisions[0]).toMatchObject({ reasons: ['model "ct-incremental" has no champion yet'], outcome: 'promoted' });
    const status = await watch('ct-incremental', { ingest: { window: { from: '2001-03-01', to: '2001-03-14' }, split: { holdoutFraction: 0.1 } } }, { minNewRows: 1000, incremental: true }, 'ct-incremental');
    const decision = status.decisions[0];
    const [, arrived] = /^(\d+) rows arrived after the champion's data window \(ends 2001-03-10/.exec(decision.reasons[0]) ?? [];
    expect(Number(arrived)).toBeGreaterThan(30_000);
    expect(decision.reasons[1]).toBe(`incremental: the retrain reads the ${arrived} rows from 2001-03-10 00:00:00 on, after the champion's data window`);
    const child = await env.client.workflow.getHandle(decision.workflowId!).result();
    const ingest = child.outputs.ingest.summary;
    expect(ingest.window).toEqual({ from: '2001-03-10 00:00:00', to: '2001-03-14 00:00:00' });
    expect(ingest.trainRows + ingest.holdoutRows).toBe(Number(arrived));
    // The caller's split override came along: a tenth held out, not the pipeline's fifth.
    expect(ingest.holdoutRows / Number(arrived)).toBeCloseTo(0.1, 2);
  });

  it('probes the newest data for drift and does not retrain when it matches the champion', async () => {
    const status = await watch('ct-probe-clean', window('2001-03-10'), { minNewRows: 1e9, onDrift: true });
    const decision = status.decisions[0];
    expect(decision.retrain).toBe(false);
    expect(decision.reasons.at(-1)).toMatch(/^no drift against the champion's training data/);
  });

  it('retrains when the drift probe finds the newest data drifted', async () => {
    // Real flights of the following week, with departure hours moved by 6 h and distances folded into 31–1030:
    // still inside the schema's ranges (so validation passes), but far from the champion's training data.
    const drifted = path.join(dir, 'drifted-week.parquet');
    const source = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
    await withDuckDb({}, (conn) =>
      conn.run(`COPY (SELECT date + INTERVAL 6 HOUR AS date, delay, 31 + (distance % 1000) AS distance, origin, destination
        FROM read_parquet(${sqlString(source)}) WHERE date >= TIMESTAMP '2001-03-10' AND date < TIMESTAMP '2001-03-17')
        TO ${sqlString(drifted)} (FORMAT parquet)`),
    );
    // Moving features but not labels also breaks the relation between them, which the tainted-data checks stop
    // (test/validation/tainted-data.e2e.test.ts); here they only warn, so the probe's drift verdict is what decides.
    const tainted = { labelConsistency: 'warn', confidentDisagreement: 'warn', triggerPatterns: 'warn' };
    const overrides = { ingest: { source: { path: drifted }, window: { from: '2001-03-10', to: '2001-03-18' } }, validate: { severity: tainted } };
    const status = await watch('ct-probe-drift', overrides, { minNewRows: 1e9, onDrift: true });
    const decision = status.decisions[0];
    expect(decision.reasons).toEqual([expect.stringMatching(/^drift detected against the champion's training data in .*distance/)]);
    expect(decision.retrain).toBe(true);
    expect(decision.workflowId).toBeDefined();
  });

  it('fails at the first check with every problem of an invalid policy, naming the field', async () => {
    const failure = await watch('ct-bad-policy', window('2001-03-10'), { minNewRows: -1, onLiveQuality: { minAuc: 1.5, windowSeconds: 60 }, onDrfit: true }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // WorkflowFailedError → ActivityFailure → the activity's ApplicationFailure.
    const activityFailure = (failure as WorkflowFailedError).cause as Error & { cause?: Error & { type?: string } };
    expect(activityFailure.cause?.type).toBe('InvalidRetrainPolicy');
    const message = String(activityFailure.cause?.message);
    expect(message).toMatch(/^Invalid continuous-training policy/);
    expect(message).toMatch(/policy\.minNewRows: /);
    expect(message).toMatch(/policy\.onLiveQuality\.minAuc: /);
    expect(message).toMatch(/policy\.onLiveQuality\.minLabels: /);
    expect(message).toMatch(/onDrfit/);
  });
});

describe('continuous training on the live quality of the champion', () => {
  // A real model server process, a real dev server and a worker pointed at both (test/serving/canary-fixtures.ts).
  let cw: CanaryWorld;
  let flights: FlightTraffic;
  const model = 'ct-live';

  beforeAll(async () => {
    cw = await startCanaryWorld();
    // Real flights of the day after the champion's training window, with their true labels.
    flights = await loadFlightTraffic({ from: '2001-03-10', to: '2001-03-11', limit: 800 });
  });

  afterAll(async () => {
    await cw?.close();
  });

  const check = (workflowId: string, onLiveQuality: Record<string, unknown>) =>
    cw.env.client.workflow.execute('continuousTraining', {
      taskQueue: cw.harness.config.taskQueue,
      workflowId,
      args: [{ model, pipeline: 'flight-delay-builtin', overrides: window('2001-03-10'), maxChecks: 1, policy: { minNewRows: 1e9, onLiveQuality } }],
    }) as Promise<ContinuousTrainingStatus>;

  /** Replays `traffic` through the server (predictions, then each label as feedback) and waits for the last label. */
  const replay = async (traffic: FlightTraffic) => {
    const report = await replayTraffic({ baseUrl: cw.base, model, traffic, rate: 800, feedbackDelayMs: 20, labelerToken: LABELER_TOKEN });
    expect(report.statuses['200']).toBe(traffic.rows.length);
    expect(report.feedback.statuses['200']).toBe(traffic.rows.length);
  };
  const slice = (from: number, to: number, invert = false): FlightTraffic => ({
    rows: flights.rows.slice(from, to),
    labels: flights.labels.slice(from, to).map((l) => (invert ? 1 - l : l) as 0 | 1),
  });

  it('trains and deploys a first champion, then does not judge it on too few labels', async () => {
    const first = await check('ct-live-first', { minAuc: 0.55, minLabels: 200, windowSeconds: 300 });
    expect(first.decisions[0]).toMatchObject({ retrain: true, outcome: 'promoted' });
    const deployed = await call(cw.base, 'GET', `/admin/v1/models/${model}/deployment`);
    expect(deployed.body.versions).toEqual([expect.objectContaining({ version: 1, weight: 100 })]);

    await replay(slice(0, 50));
    const status = await check('ct-live-few', { minAuc: 0.55, minLabels: 200, windowSeconds: 300 });
    const decision = status.decisions[0];
    expect(decision.retrain).toBe(false);
    expect(decision.liveQuality).toMatchObject({ version: 1, verdict: 'too-few-labels', fired: false, labels: 50, minLabels: 200 });
    expect(decision.reasons).toContain('live quality of champion v1: only 50 labels in the last 300 s (need 200); not judged');
    expect(decision.workflowId).toBeUndefined();
  });

  it('leaves the champion alone while its live AUC on true labels meets the limit', async () => {
    await replay(slice(50, 650));
    const status = await check('ct-live-good', { minAuc: 0.55, minLabels: 200, windowSeconds: 300 });
    const decision = status.decisions[0];
    expect(decision.retrain).toBe(false);
    expect(decision.liveQuality).toMatchObject({ verdict: 'ok', labels: 650 });
    expect(decision.liveQuality!.auc!).toBeGreaterThan(0.55);
    expect(decision.reasons.join('\n')).toMatch(/live quality of champion v1 over 650 labels in the last 300 s within limits: AUC 0\.\d{3} meets minAuc 0\.55/);
    expect(decision.workflowId).toBeUndefined();
  });

  it('retrains when the live AUC falls below the limit, recording the figures', async () => {
    // The good traffic must fall out of the window: wait past it, then send flights whose labels are inverted.
    // 15 s holds all 400 inverted labels even when a loaded machine slows the replay down.
    const windowSeconds = 15;
    await new Promise((r) => setTimeout(r, (windowSeconds + 1) * 1000));
    await replay(slice(0, 400, true));
    const status = await check('ct-live-bad', { minAuc: 0.55, maxAucDrop: 0.1, minLabels: 200, windowSeconds });
    const decision = status.decisions[0];
    expect(decision.liveQuality).toMatchObject({ verdict: 'below', fired: true, labels: 400, version: 1 });
    expect(decision.liveQuality!.auc!).toBeLessThan(0.45);
    expect(decision.reasons).toEqual([
      expect.stringMatching(
        /^live quality of champion v1 over 400 labels in the last 15 s: AUC 0\.\d{3} below minAuc 0\.55; AUC 0\.\d{3} is 0\.\d{3} below the offline AUC 0\.\d{3} \(maxAucDrop 0\.1\)$/,
      ),
    ]);
    expect(decision.retrain).toBe(true);
    expect(['promoted', 'rejected']).toContain(decision.outcome);
    const child = await cw.env.client.workflow.getHandle(decision.workflowId!).result();
    expect(child.model).toBe(model);
  });
});
