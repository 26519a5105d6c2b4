/**
 * Validation inside the real pipeline on the real dev server: a champion trained on a clean
 * batch, then tainted batches that must stop at ingest or validate, so no model is trained or
 * registered and the champion stays; then a batch that only drifts, which trains with the
 * warnings in the run's status.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import { statusQuery } from '../../src/workflows/definitions';
import type { PipelineResult, PipelineStatus } from '../../src/workflows/pipeline-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { flightsPipelineSpec, ingestParams, writeFlights } from './flight-files';

const MODEL = 'flights-validation';

function spec(file: string, ingest: Record<string, unknown> = {}) {
  return flightsPipelineSpec('flights-validation', MODEL, { ...ingestParams(file), ...ingest });
}

describe('data validation in the pipeline (real dev server)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let registry: SqliteModelRegistry;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-validation-e2e-'));
    env = await startDevServer();
    h = await startHarness(env);
    registry = new SqliteModelRegistry({ path: h.config.registryPath });
  });

  afterAll(async () => {
    await registry?.close();
    await h?.close();
    await env?.teardown();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const start = (input: unknown) =>
    env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId: `val-${Math.random().toString(36).slice(2)}`, args: [input] });

  /** Runs a batch that must fail: returns the failure and the status, after checking nothing changed. */
  async function mustFail(input: unknown): Promise<{ failure: ApplicationFailure; status: PipelineStatus }> {
    const before = await registry.listVersions(MODEL);
    const champion = (await registry.getAlias(MODEL, 'champion'))?.version;
    const handle = await start(input);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const status = await handle.query(statusQuery);
    expect(status.steps.find((s) => s.id === 'train')?.state).toBe('skipped');
    expect(await registry.listVersions(MODEL)).toEqual(before);
    expect((await registry.getAlias(MODEL, 'champion'))?.version).toBe(champion);
    return { failure: (err as WorkflowFailedError).cause as ApplicationFailure, status };
  }

  it('trains and promotes a first champion on a clean batch, recording its schema and training data', async () => {
    const handle = await start({ spec: spec(await writeFlights(path.join(dir, 'clean.parquet'))) });
    const result = (await handle.result()) as PipelineResult;
    expect(result.outcome).toBe('promoted');
    const validate = result.steps.find((s) => s.id === 'validate')!.summary!;
    expect(validate).toMatchObject({ passed: true, failed: 0, schema: { version: 1, changed: true, origin: 'inferred from this batch (first run)' }, reference: null });
    // The report's location is in the status, and it is a readable page.
    expect(await readFile(String(validate.reportPath), 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*Data validation — flights-validation/);
    const champion = await registry.getAlias(MODEL, 'champion');
    expect(champion?.lineage.schema).toMatchObject({ uri: (validate.schema as { uri: string }).uri });
    expect(champion?.lineage.trainData).toEqual(result.outputs.ingest.artifacts.train);
  });

  it('stops 30% flipped labels before training, naming the check, value and threshold', async () => {
    const { failure, status } = await mustFail({ spec: spec(await writeFlights(path.join(dir, 'flipped.parquet'), 'flippedLabels')) });
    expect(failure.type).toBe('DataValidationFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^Data validation failed: \d+ of \d+ checks failed, nothing was trained \(report: \/.*\):\n {2}- labelRateShift\(label\): positive rate [\d.]+% vs [\d.]+% in the champion v1 training data, shift 0\.\d+ > 0\.15/);
    // The flip wrote delays of 0 and 60 minutes: each value is named once, for the whole batch.
    expect(failure.message).toMatch(/labelSourceSpikes\(delay\): [\d,]+ rows of the batch \([\d,]+ rows\) have delay = 60 where/);
    expect(failure.message).toMatch(/labelSourceSpikes\(delay\): [\d,]+ rows of the batch \([\d,]+ rows\) have delay = 0 where/);
    expect(failure.message).not.toMatch(/rows of slice [^\n]* have delay = (0|60) where/);
    const validate = status.steps.find((s) => s.id === 'validate')!;
    expect(validate).toMatchObject({ state: 'failed', attempts: 1, error: { type: 'DataValidationFailed' } });
  });

  it('stops a CSV with text in a number column', async () => {
    const { failure } = await mustFail({ spec: spec(await writeFlights(path.join(dir, 'text.csv'), 'textInNumber')) });
    expect(failure.type).toBe('DataValidationFailed');
    expect(failure.message).toMatch(/typeConversion\(distance\): .* are not a number \(e\.g\. "n\/a"\)/);
  });

  it('stops a batch with 5% extreme outliers', async () => {
    const { failure } = await mustFail({ spec: spec(await writeFlights(path.join(dir, 'outliers.parquet'), 'outliers')) });
    expect(failure.message).toMatch(/outliers\(distance\): /);
  });

  it('stops a missing file at ingest', async () => {
    const { failure } = await mustFail({ spec: spec(path.join(dir, 'missing.parquet')) });
    expect(failure.type).toBe('DataSourceError');
    expect(failure.message).toMatch(/source\.path: file ".*missing\.parquet" does not exist/);
  });

  it('trains on a replayed day that only drifts, with the drift warnings in the status', async () => {
    const file = path.join(dir, 'clean.parquet');
    const handle = await start({ spec: spec(file, { window: {}, source: { path: file, replay: { now: '2001-03-03', window: '1 day' } } }) });
    await handle.result();
    const status = await handle.query(statusQuery);
    expect(status.steps.find((s) => s.id === 'ingest')?.summary).toMatchObject({ window: { from: '2001-03-02 00:00:00', to: '2001-03-03 00:00:00' }, replay: { now: '2001-03-03' } });
    const validate = status.steps.find((s) => s.id === 'validate')!.summary!;
    expect(validate).toMatchObject({ passed: true, schema: { version: 1, changed: false, origin: 'champion v1' } });
    expect(Number(validate.warnings)).toBeGreaterThan(0);
    expect(validate.warningMessages).toEqual(expect.arrayContaining([expect.stringMatching(/^drift\(weekday\): Jensen–Shannon distance/)]));
    expect(status.steps.find((s) => s.id === 'register')?.state).toBe('succeeded');
  });
});
