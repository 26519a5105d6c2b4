/**
 * Continuous training: the per-model workflow retrains when its triggers fire (no champion,
 * new data after the champion's window) and leaves the champion alone when nothing changed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { resolveSourcePath } from '../../src/data/source-path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContinuousTrainingStatus } from '../../src/workflows/continuous-training-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

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
    await rm(dir, { recursive: true, force: true });
  });

  const watch = (
    workflowId: string,
    overrides: Record<string, Record<string, unknown>>,
    policy: Record<string, unknown> = { minNewRows: 1000 },
  ) =>
    env.client.workflow.execute('continuousTraining', {
      taskQueue: h.config.taskQueue,
      workflowId,
      args: [{ model: 'ct-model', pipeline: 'flight-delay-builtin', overrides, maxChecks: 1, checkEvery: '1s', policy }],
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
    const overrides = { ingest: { source: { path: drifted }, window: { from: '2001-03-10', to: '2001-03-18' } } };
    const status = await watch('ct-probe-drift', overrides, { minNewRows: 1e9, onDrift: true });
    const decision = status.decisions[0];
    expect(decision.reasons).toEqual([expect.stringMatching(/^drift detected against the champion's training data in .*distance/)]);
    expect(decision.retrain).toBe(true);
    expect(decision.workflowId).toBeDefined();
  });
});
