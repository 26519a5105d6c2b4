/**
 * Continuous training: the per-model workflow retrains when its triggers fire (no champion,
 * new data after the champion's window) and leaves the champion alone when nothing changed.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContinuousTrainingStatus } from '../../src/workflows/continuous-training-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

const window = (to: string) => ({ ingest: { window: { from: '2001-03-01', to } } });

describe('continuous training', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;

  beforeAll(async () => {
    env = await startDevServer();
    h = await startHarness(env);
  });

  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });

  const watch = (workflowId: string, overrides: Record<string, Record<string, unknown>>) =>
    env.client.workflow.execute('continuousTraining', {
      taskQueue: h.config.taskQueue,
      workflowId,
      args: [{ model: 'ct-model', pipeline: 'flight-delay-builtin', overrides, maxChecks: 1, checkEvery: '1s', policy: { minNewRows: 1000 } }],
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
});
