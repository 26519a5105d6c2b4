/**
 * The recent-traffic gate end to end on real parts (issue 19): a real model server with a real
 * inference log serves the champion to real March 2001 flights over HTTP, feedback labels arrive
 * through its feedback route, and pipelines on a real dev server (built-in trainer, ONNX scoring,
 * SQLite registry shared with the server) whose evaluate step names that served window are judged
 * on it: too few labels block by default; a candidate better on the holdout but worse on the
 * recent labelled rows (traffic from a regime where the champion is right) is not promoted; one
 * that is better there is; a served model with no log fails the step and nothing is registered.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';
import type { EvaluationReport } from '../../src/evaluation/evaluation-report';
import type { PairedComparison } from '../../src/evaluation/paired-gate';
import type { RecentComparison } from '../../src/evaluation/recent-gate';
import { readWindows } from '../../src/serving/inference-log/log-manifest';
import type { ModelServer } from '../../src/serving/model-server';
import { startCachingHarness, type CachingHarness, type PipelineRunReport } from '../caching/caching-harness';
import { startDevServer } from '../helpers/temporal-env';
import { call, createServingWorld, LABELER_TOKEN, startServer, type ServingWorld } from '../serving/serving-fixtures';
import { weakOrStrongSpec } from './weak-or-strong-spec';

const MODEL = 'recent-served';
/** The same champion's traffic logged under another served name (say, another region's endpoint). */
const EAST = `${MODEL}-east`;
const BATCH = 20;

/** The champion-challenger e2e's weak or strong model, with this file's recent gate. */
const spec = (strong: boolean, recent?: object, model = MODEL) => weakOrStrongSpec('recent-served', model, strong, recent ? { recent } : {});

type Flight = { hour: number; weekday: number; distance: number; origin: string; destination: string };

/** 300 real flights of a later March week than the pipeline trains on, in a fixed pseudo-random order. */
async function servedFlights(): Promise<Flight[]> {
  const source = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
  const rows = await withDuckDb({ threads: 1 }, (conn) =>
    queryRows(
      conn,
      `SELECT hour(date)::INTEGER AS hour, dayofweek(date)::INTEGER AS weekday, distance::DOUBLE AS distance, origin, destination
       FROM read_parquet(${sqlString(source)}) WHERE date >= TIMESTAMP '2001-03-20' AND date < TIMESTAMP '2001-03-27'
       ORDER BY hash(date, origin, destination, distance, delay) LIMIT 300`,
    ),
  );
  return rows.map((r) => ({ hour: Number(r.hour), weekday: Number(r.weekday), distance: Number(r.distance), origin: String(r.origin), destination: String(r.destination) }));
}

const summary = (r: PipelineRunReport, id: string) => r.result!.steps.find((s) => s.id === id)!.summary!;

describe('a challenger must beat the champion on the recent labelled served traffic, on real parts', () => {
  let env: TestWorkflowEnvironment;
  let world: ServingWorld;
  let server: ModelServer;
  let base: string;
  let h: CachingHarness;
  let logDir: string;
  let flights: Flight[];
  /** Rows the server has logged so far (each prediction row and each label row). */
  let logged = 0;

  beforeAll(async () => {
    world = await createServingWorld();
    logDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-recent-log-'));
    flights = await servedFlights();
    // One-second windows, so what was served and labelled is readable by the worker within seconds.
    ({ server, base } = await startServer(world, {}, { inferenceLog: { dir: logDir, store: world.store, rates: { defaultRate: 1, perModel: new Map() }, windowMs: 1000 } }));
    env = await startDevServer();
    // The worker shares the server's registry, artifact store and log folder (a shared volume in production).
    h = await startCachingHarness(env, { registry: world.registry, store: world.store, inferenceLogDir: logDir });
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await h?.close();
    await env?.teardown();
    await world?.close();
    if (logDir) await rm(logDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  /** Serves `rows` of `model` in requests of BATCH rows over HTTP; returns each request's id and scores. */
  async function serve(model: string, rows: Flight[]): Promise<{ requestId: string; scores: number[] }[]> {
    const out = [];
    for (let i = 0; i < rows.length; i += BATCH) {
      const r = await call(base, 'POST', `/v1/models/${model}/predict`, { rows: rows.slice(i, i + BATCH) }, { token: null });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      out.push({ requestId: String(r.body.requestId), scores: (r.body.predictions as { score: number }[]).map((p) => p.score) });
    }
    logged += rows.length;
    return out;
  }

  /** Posts the labels of the given requests through the feedback route, as a label source does. */
  async function label(model: string, requests: { requestId: string; labels: number[] }[]): Promise<void> {
    for (const q of requests) {
      const r = await call(base, 'POST', `/v1/models/${model}/feedback`, { requestId: q.requestId, labels: q.labels }, { token: LABELER_TOKEN });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      logged += q.labels.length;
    }
  }

  /** Waits (bounded) until every logged row is in a sealed Parquet window the worker reads. */
  async function sealed(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let rows = 0;
    while (Date.now() < deadline) {
      rows = (await readWindows(logDir)).reduce((n, w) => n + w.rows, 0);
      if (rows >= logged) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`only ${rows} of ${logged} logged rows sealed within 60 s`);
  }

  /** Labels where `scores` are right: 1 above their median, so that model ranks the rows perfectly. */
  const rightAbout = (served: { requestId: string; scores: number[] }[]) => {
    const sorted = served.flatMap((q) => q.scores).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    return served.map((q) => ({ requestId: q.requestId, labels: q.scores.map((s) => (s > median ? 1 : 0)) }));
  };

  const deploy = async (model: string, version: number) => expect((await call(base, 'PUT', `/admin/v1/models/${model}/deployment`, { versions: [{ version, weight: 100 }] })).status).toBe(200);
  const champion = async () => (await world.registry.getAlias(MODEL, 'champion'))?.version;
  const RECENT = { served: { window: '1 hour' } };

  it('blocks, then refuses, then promotes on the recent labelled rows, with the evidence in the report', async () => {
    // The first model: no champion yet, so nothing to compare on the served rows either.
    const first = await h.run({ spec: spec(false, RECENT) });
    expect(first.result?.outcome).toBe('promoted');
    expect(summary(first, 'evaluate').recent).toBeNull();
    expect(await champion()).toBe(1);

    // The champion serves 300 real flights; only the first request's 20 rows get their labels so far.
    await deploy(MODEL, 1);
    const served = await serve(MODEL, flights);
    const labels = rightAbout(served);
    await label(MODEL, labels.slice(0, 1));
    await sealed();

    // (b) Too few labels: the default rule blocks, says how many there were, and the champion stays.
    const few = await h.run({ spec: spec(true, RECENT) });
    const fewEval = summary(few, 'evaluate');
    expect((fewEval.comparison as PairedComparison).passed).toBe(true);
    const blocked = fewEval.recent as RecentComparison;
    expect(blocked).toMatchObject({ outcome: 'blocked', passed: false, labelled: BATCH, minLabels: 100, onTooFewLabels: 'block', served: { model: MODEL, window: '1 hour' } });
    expect(fewEval.blessed).toBe(false);
    expect(fewEval.reasons).toEqual([`recent served traffic: ${BATCH} labelled rows of model "${MODEL}" in the last 1 hour, fewer than minLabels 100; not blessed without that evidence (onTooFewLabels: block)`]);
    expect(few.result?.outcome).toBe('rejected');
    expect(await champion()).toBe(1);
    // A verdict on traffic that keeps arriving is never taken from the step cache.
    expect(few.status.steps.find((s) => s.id === 'evaluate')?.cache?.outcome).toBe('uncacheable');

    // (a) Every served row labelled, from a regime where the champion is right: the strong candidate
    // still wins on the holdout but loses on the recent rows, so it is registered and not promoted.
    await label(MODEL, labels.slice(1));
    await sealed();
    const worse = await h.run({ spec: spec(true, RECENT) });
    const worseEval = summary(worse, 'evaluate');
    const holdout = worseEval.comparison as PairedComparison;
    expect(holdout).toMatchObject({ metric: 'auc', passed: true });
    expect(holdout.interval.lower).toBeGreaterThan(0);
    const refused = worseEval.recent as RecentComparison;
    expect(refused).toMatchObject({ outcome: 'compared', passed: false, labelled: flights.length });
    expect(refused.comparison).toMatchObject({ metric: 'auc', test: 'superiority', method: 'DeLong', rows: flights.length, champion: 1, passed: false });
    expect(refused.comparison!.improvement).toBeLessThan(0);
    expect(refused.comparison!.interval.upper).toBeLessThan(0);
    expect(worseEval.blessed).toBe(false);
    expect(worseEval.reasons).toEqual([expect.stringMatching(new RegExp(`^recent served traffic \\(${flights.length} labelled rows of model "${MODEL}", last 1 hour\\): superiority not shown`))]);
    expect(worse.result?.outcome).toBe('rejected');
    expect(await champion()).toBe(1);
    const report = await h.store.readJson<EvaluationReport>(worse.result!.outputs.evaluate.artifacts['evaluation-report']);
    expect(report.recent).toEqual(refused);
    const page = await readFile(await h.store.localPath(worse.result!.outputs.evaluate.artifacts['evaluation-page']), 'utf8');
    expect(page).toContain('Champion/challenger on recent served traffic');
    expect(page).toContain(`${flights.length} labelled rows`);
    expect(page).toContain(`[${refused.comparison!.interval.lower.toFixed(4)}, ${refused.comparison!.interval.upper.toFixed(4)}]`);

    // (c) Traffic where the candidate is right: the same champion also serves under EAST, the
    // rejected candidate scores those requests' rows (served as a version of EAST for its scores),
    // and labels follow the candidate. Judged on EAST's recent rows, the candidate is promoted.
    const candidate = (await world.registry.listVersions(MODEL)).at(-1)!;
    const bytes = await readFile(await world.store.localPath(candidate.artifact));
    const east = await world.register(EAST, bytes);
    await deploy(EAST, east.version);
    const eastServed = await serve(EAST, flights);
    await label(EAST, rightAbout(eastServed));
    await sealed();
    const better = await h.run({ spec: spec(true, { ...RECENT, served: { model: EAST, window: '1 hour' } }) });
    const betterEval = summary(better, 'evaluate');
    const passed = betterEval.recent as RecentComparison;
    expect(passed).toMatchObject({ outcome: 'compared', passed: true, labelled: flights.length, served: { model: EAST } });
    expect(passed.comparison).toMatchObject({ candidate: 1, passed: true });
    expect(passed.comparison!.interval.lower).toBeGreaterThan(0);
    expect(betterEval.blessed).toBe(true);
    expect(better.result?.outcome).toBe('promoted');
    const promoted = await champion();
    expect(promoted).toBe((await world.registry.listVersions(MODEL)).at(-1)!.version);
    // The alias move carries both tests it rests on.
    const move = (await world.registry.aliasHistory(MODEL, 'champion')).find((m) => m.toVersion === promoted);
    expect(move?.evidence).toMatchObject({ recent: { outcome: 'compared', passed: true, comparison: { pValue: passed.comparison!.pValue } } });
  }, 420_000);

  it('fails the step naming the field when the served model has no log or no label, and registers or promotes nothing', async () => {
    // Its own model, whose first run makes the champion the recent gate compares with.
    const model = `${MODEL}-bad-input`;
    expect((await h.run({ spec: spec(false, undefined, model) })).result?.outcome).toBe('promoted');
    const current = (await world.registry.getAlias(model, 'champion'))!;
    const unchanged = async () => {
      expect(await world.registry.listVersions(model)).toHaveLength(1);
      expect((await world.registry.getAlias(model, 'champion'))?.version).toBe(current.version);
    };

    const run = await h.run({ spec: spec(false, { served: { model: 'never-served', window: '1 hour' } }, model) });
    expect(run.result).toBeUndefined();
    expect(run.status.steps.find((s) => s.id === 'evaluate')?.error).toMatchObject({
      type: 'EvaluationFailed',
      message: expect.stringMatching(/^recent\.served \(model "never-served", window 1 hour\): no logged traffic of model "never-served" since /),
    });
    await unchanged();

    // Served and logged, but no label posted yet: no evidence at all is an error too, not a rule's outcome.
    const west = `${MODEL}-west`;
    const registered = await world.register(west, await readFile(await world.store.localPath(current.artifact)));
    await deploy(west, registered.version);
    await serve(west, flights.slice(0, BATCH));
    await sealed();
    const unlabelled = await h.run({ spec: spec(false, { served: { model: west, window: '1 hour' }, onTooFewLabels: 'skip' }, model) });
    expect(unlabelled.result).toBeUndefined();
    expect(unlabelled.status.steps.find((s) => s.id === 'evaluate')?.error?.message).toBe(
      `recent.served (model "${west}", window 1 hour): no labelled row of a logged prediction in the window; post feedback labels (POST /v1/models/${west}/feedback) or widen the window`,
    );
    await unchanged();
  }, 240_000);
});
