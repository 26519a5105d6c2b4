/**
 * A model trained elsewhere through the whole lifecycle on real parts: scikit-learn fits and
 * exports it in a separate Python process (its own extract of the first week of March 2001), `importModel` registers it as
 * `partner-delay` v1, and the shipped `flight-delay-import` pipeline brings it in on a real
 * Temporal dev server: evaluated against the built-in champion on March's holdout, canaried on a
 * real model server with replayed flights and feedback, promoted, and served. Lineage records
 * that it was imported, by whom, with its digest. A model whose inputs do not match the
 * pipeline's snapshot fails the import step with the mismatch named, and nothing changes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { flightsParquetPath } from '../../src/data/flights-window';
import { importModel } from '../../src/registry/import-model';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { loadFlightTraffic, replayTraffic } from '../../tools/replay-traffic';
import { startCanaryWorld, type CanaryWorld } from '../serving/canary-fixtures';
import { call, LABELER_TOKEN } from '../serving/serving-fixtures';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const MODEL = 'flight-delay';
const PARTNER = 'partner-delay';
const FEATURES = { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'] };
const WINDOW = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } };
// The candidate was fitted elsewhere on slightly less data: the live canary, not a tight paired margin, judges it.
const LENIENT = { evaluate: { comparison: { metric: 'auc', test: 'non-inferiority', margin: 0.05, alpha: 0.05 } } };
// The built-in champion is scored by the TypeScript linear scorer (~0.1 ms), the imported model by onnxruntime: on a
// loaded 2-core CI the imported model's p90 reached 150 ms and the latency guard rolled it back. That guard is tested
// in the canary tests; here it is widened so the live quality checks decide.
const LATENCY_SLACK = { p99SlackMs: 5_000 };
// A sequential hold looks every 3 s and decides as soon as the sample allows: quick on a quiet machine, and on a
// loaded CI it waits for the labels (up to a minute) instead of calling one short interval inconclusive.
const FAST_CANARY = { canary: { steps: [50, 100], interval: '3s', analysis: { minRequests: 20, minLabels: 30, ...LATENCY_SLACK }, hold: { maxDuration: '60s' }, decisionTimeout: '1 minute' } };

let cw: CanaryWorld;
let dir: string;

async function exportSklearn(out: string, extra: string[] = []): Promise<string> {
  const data = path.join(dir, 'march.parquet');
  await withDuckDb({}, (c) =>
    c.run(`COPY (SELECT distance::DOUBLE AS distance, hour(date)::INTEGER AS hour, dayofweek(date)::INTEGER AS weekday, origin, destination,
                        (delay > 15)::INTEGER AS label
                 FROM read_parquet(${sqlString(flightsParquetPath())}) WHERE date >= '2001-03-01' AND date < '2001-03-08')
           TO ${sqlString(data)} (FORMAT parquet)`),
  );
  const file = path.join(dir, out);
  await run(
    path.join(ROOT, '.venv', 'bin', 'python'),
    [path.join(__dirname, 'export-sklearn-onnx.py'), '--data', data, '--label', 'label', '--numeric', 'distance', '--categorical', 'hour,weekday,origin,destination', '--out', file, ...extra],
    { timeout: 300_000 },
  );
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-import-e2e-'));
  cw = await startCanaryWorld();
}, 600_000);

afterAll(async () => {
  await cw?.close();
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

function runPipeline(pipeline: string, overrides: Record<string, unknown>, id: string): Promise<PipelineResult> {
  return cw.env.client.workflow.execute('pipeline', {
    taskQueue: cw.harness.config.taskQueue,
    workflowId: id,
    args: [{ pipeline, overrides: { ...WINDOW, ...FAST_CANARY, ...overrides } }],
  });
}

const weights = async () =>
  Object.fromEntries(((await call(cw.base, 'GET', `/admin/v1/models/${MODEL}/deployment`)).body.versions as { version: number; weight: number }[]).map((v) => [v.version, v.weight]));

describe('an imported scikit-learn model through evaluate, canary and promote', () => {
  it('is evaluated against the champion, canaried on live flights, promoted and served, with lineage saying it was imported', async () => {
    const first = await runPipeline('flight-delay-canary', {}, 'import-e2e-champion');
    expect(first.outcome).toBe('promoted');

    const file = await exportSklearn('partner.onnx');
    const { version: imported } = await importModel(
      { registry: cw.world.registry, store: cw.world.store },
      { model: PARTNER, file, contract: { task: 'binary', features: FEATURES }, actor: 'partner-team', origin: 'test' },
    );
    expect(imported.version).toBe(1);

    const traffic = await loadFlightTraffic({ from: '2001-03-10', to: '2001-03-12' });
    const controller = new AbortController();
    const replay = replayTraffic({ baseUrl: cw.base, model: MODEL, traffic, rate: 100, feedbackDelayMs: 300, labelerToken: LABELER_TOKEN, callers: 200, signal: controller.signal });
    const second = await runPipeline('flight-delay-import', { ...LENIENT, import: { model: `models:/${PARTNER}/1` } }, 'import-e2e-candidate').finally(() => controller.abort());
    const report = await replay;

    const step = (id: string) => second.steps.find((s) => s.id === id)!.summary!;
    expect(step('import')).toMatchObject({ source: `models:/${PARTNER}/1`, importedBy: 'partner-team', digest: imported.artifact.sha256, task: 'binary', features: FEATURES });
    const evaluation = step('evaluate');
    expect({ blessed: evaluation.blessed, reasons: evaluation.reasons, metrics: evaluation.metrics }).toMatchObject({ blessed: true, reasons: [] });
    expect(evaluation).toMatchObject({ chosen: { step: 'import', trainer: 'imported' }, champion: { version: 1 } });
    // The reasons and steps ride along so a failure says which check decided.
    const canary = step('canary');
    expect(canary.canaryVerdict, JSON.stringify({ reasons: canary.reasons, steps: canary.steps })).toBe('passed');
    expect(canary).toMatchObject({ candidate: 2, champion: 1 });
    expect(second.outcome).toBe('promoted');

    const champion = (await cw.world.registry.getAlias(MODEL, 'champion'))!;
    expect(champion.version).toBe(2);
    expect(champion.artifact.sha256).toBe(imported.artifact.sha256);
    expect(champion.lineage).toMatchObject({ trainer: 'imported', imported: { by: 'partner-team', digest: imported.artifact.sha256, source: `models:/${PARTNER}/1`, step: 'import' } });
    expect(Number(champion.metrics.auc)).toBeGreaterThan(0.6);
    expect(await weights()).toEqual({ 2: 100, 1: 0 });
    // The server answered every request it got with 200 (a contract mismatch would be a 400); under a loaded CI a few
    // requests in flight when the replay is stopped end client-side ('error'), never more than 1%.
    expect(Object.keys(report.statuses).filter((k) => k !== '200' && k !== 'error')).toEqual([]);
    expect(report.statuses['200']).toBeGreaterThan(0.99 * report.sent);
    expect(Number(report.versions['2'])).toBeGreaterThan(0);
  }, 900_000);

  it('fails the import step naming the inputs the snapshot lacks, and registers, canaries and promotes nothing', async () => {
    const file = await exportSklearn('renamed.onnx', ['--rename', 'hour=dep_hour']);
    const features = { numeric: ['distance'], categorical: ['dep_hour', 'weekday', 'origin', 'destination'] };
    // Its own contract holds (declared as it was exported); this pipeline's data does not have dep_hour.
    const { version } = await importModel({ registry: cw.world.registry, store: cw.world.store }, { model: PARTNER, file, contract: { task: 'binary', features }, actor: 'partner-team', origin: 'test' });
    const before = { versions: (await cw.world.registry.listVersions(MODEL)).length, weights: await weights() };

    const err = await runPipeline('flight-delay-import', { ...LENIENT, import: { model: `models:/${PARTNER}/${version.version}` } }, 'import-e2e-mismatch').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({
      type: 'ModelContractMismatch',
      message: expect.stringContaining('inputs: the model reads dep_hour, which the ingested snapshot does not have'),
    });
    expect((await cw.world.registry.listVersions(MODEL)).length).toBe(before.versions);
    expect((await cw.world.registry.getAlias(MODEL, 'champion'))?.version).toBe(2);
    expect(await weights()).toEqual(before.weights);
  }, 600_000);
});
