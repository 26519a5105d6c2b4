/**
 * The canary's own rules, against typed mock activities on the time-skipping test server, with the
 * production defaults (canaryParamsSchema: steps 10/25/50/100, a sequential hold of 5-minute
 * intervals up to six of them, a 1-hour decision timeout that rolls back): an inconclusive step
 * that nobody decides, abort, and cancellation.
 */
import type { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import type { StepMeasurement, VersionWindow } from '../../src/canary/analysis';
import { parseCanaryInput, type CanaryInput } from '../../src/canary/canary-input';
import type { CanaryReport } from '../../src/canary/canary-state';
import { abortSignal, canaryStatusQuery } from '../../src/workflows/definitions';
import { canary } from '../../src/workflows';
import { between, HOUR, MINUTE, useWorkflowTier, waitFor } from './workflow-tier';

const tier = useWorkflowTier('canary-rules');

/** Figures with too few canary requests: every analysis is inconclusive. */
function quietStep(): StepMeasurement {
  const window = (version: number): VersionWindow => ({
    version, requests: 3, errors: 0, errorRate: 0, p99Ms: 5, p90Ms: 4, p50Ms: 2,
    scoreCounts: new Array<number>(20).fill(0), labels: 0, positives: 0, auc: null, accuracy: null,
  });
  const now = new Date().toISOString();
  const pair = { champion: window(1), canary: window(2) };
  return { from: now, to: now, serverStartedAt: '2026-01-01T00:00:00.000Z', step: pair, cumulative: pair };
}

/** A model server that takes every weight and never sees enough traffic; the report is kept. */
function canaryWorld() {
  const weights: number[] = [];
  const reports: CanaryReport[] = [];
  let measured = 0;
  const activities: Partial<Activities> = {
    parseCanaryInput: async (raw: unknown) => parseCanaryInput(raw),
    canarySetTraffic: async (req) => {
      weights.push(req.weight);
      return { changed: true, revision: weights.length, versions: [], serverStartedAt: '2026-01-01T00:00:00.000Z' };
    },
    canaryMeasure: async () => {
      measured++;
      return quietStep();
    },
    canaryWriteReport: async (report) => {
      reports.push(report);
      return { uri: 'artifact://sha256/0', sha256: '0', bytes: 0, name: 'canaryReport', mediaType: 'application/json' };
    },
  };
  return { activities, weights, reports, measured: () => measured };
}

/** Every canary parameter left to its default. */
const defaults: CanaryInput = { model: 'm', candidate: 2, champion: 1 };

describe('canary', () => {
  it('holds an inconclusive first step for six 5-minute looks, asks for a decision, and rolls back when none comes within the default hour', async () => {
    const { activities, weights, reports, measured } = canaryWorld();
    const result = await tier.withWorker(activities, (taskQueue) => tier.client.workflow.execute(canary, { taskQueue, workflowId: tier.id('decision-timeout'), args: [defaults] }));
    expect(result.summary.canaryVerdict).toBe('rolled-back');
    expect(weights).toEqual([10, 0]);
    expect(JSON.stringify(result.summary.reasons)).toMatch(/rejected by timeout/);

    const [report] = reports;
    expect(reports).toHaveLength(1);
    expect(report.params).toMatchObject({ steps: [10, 25, 50, 100], interval: '5 minutes', decisionTimeout: '1 hour', onDecisionTimeout: 'rollback' });
    const [step] = report.steps;
    expect(report.steps).toHaveLength(1);
    // Six looks, one per interval, to the hold's maximum of six intervals; then the decision's hour.
    expect(step.hold).toMatchObject({ looks: 6, intervalMs: 5 * MINUTE, maxMs: 30 * MINUTE });
    expect(measured()).toBe(6);
    expect(step.decision).toMatchObject({ decision: 'rejected', by: 'timeout' });
    const decidedAfter = between(step.startedAt, step.decision!.at);
    expect(decidedAfter).toBeGreaterThanOrEqual(30 * MINUTE + HOUR);
    // Real time passes too while activities run (seconds), but never another interval's worth.
    expect(decidedAfter).toBeLessThan(30 * MINUTE + HOUR + 5 * MINUTE);
  });

  it('rolls back at once on abort, without waiting out the step', async () => {
    const { activities, weights, reports } = canaryWorld();
    const { result, status } = await tier.withWorker(activities, async (taskQueue) => {
      const handle = await tier.client.workflow.start(canary, { taskQueue, workflowId: tier.id('abort'), args: [defaults] });
      await waitFor(async () => (await handle.query(canaryStatusQuery)).weight === 10);
      await handle.signal(abortSignal, { by: 'alice', reason: 'dashboards look wrong' });
      return { result: await handle.result(), status: await handle.query(canaryStatusQuery) };
    });
    expect(result.summary.canaryVerdict).toBe('aborted');
    // Unsigned, so the worker records the dev principal, not the name the signal claims (docs/trust-boundary.md).
    expect(result.summary.reasons).toEqual(['aborted by dev:local: dashboards look wrong']);
    expect(weights).toEqual([10, 0]);
    expect(status.stage).toBe('done');
    // Workflow time: the abort ended the 5-minute hold; waiting it out would have skipped past it.
    expect(between(reports[0].startedAt, reports[0].endedAt)).toBeLessThan(5 * MINUTE);
  });

  it('rolls back before it ends as cancelled when cancelled while waiting for a decision', async () => {
    const { activities, weights, reports } = canaryWorld();
    const failure = await tier.withWorker(activities, async (taskQueue) => {
      const handle = await tier.client.workflow.start(canary, { taskQueue, workflowId: tier.id('cancel'), args: [defaults] });
      // Skip through the step's six looks until the decision is asked for (about 30 minutes of workflow time).
      for (let i = 0; i < 40 && (await handle.query(canaryStatusQuery)).decision?.state !== 'pending'; i++) await tier.env.sleep(5 * MINUTE);
      expect((await handle.query(canaryStatusQuery)).stage).toBe('awaiting-decision');
      await handle.cancel();
      return handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    // The split is back at the champion although the workflow was cancelled, and the report says why.
    expect(weights).toEqual([10, 0]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ verdict: 'aborted', reasons: ['the canary was cancelled'], weight: 0 });
  });
});
