/**
 * Continuous training's own rules, against typed mock activities on the time-skipping test server,
 * with the production check interval (1 hour by default) and the server's own continue-as-new
 * threshold (4 Ki history events, a few hundred checks); and the handlers every long-running
 * workflow lists with descriptions.
 */
import type { WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import { parseCanaryInput } from '../../src/canary/canary-input';
import type { ContinuousTrainingInput } from '../../src/workflows/continuous-training-status';
import { canaryStatusQuery, continuousTrainingStatusQuery } from '../../src/workflows/definitions';
import { canary, continuousTraining } from '../../src/workflows';
import { between, HOUR, MINUTE, useWorkflowTier, waitFor } from './workflow-tier';

const tier = useWorkflowTier('continuous-training-rules');

/** An assessment that never fires, numbering its checks. */
function quietPolicy() {
  let checks = 0;
  const activities: Partial<Activities> = {
    assessRetraining: async () => ({ retrain: false, reasons: [`check ${++checks}: nothing fired`], championVersion: 1 }),
  };
  return { activities, checks: () => checks };
}

const checkNo = (reasons: string[]) => Number(/^check (\d+):/.exec(reasons[0])?.[1]);

describe('continuous training', () => {
  it('continues as new when the server suggests it, carrying its count and its last decisions', async () => {
    const { activities, checks } = quietPolicy();
    const workflowId = tier.id('continue-as-new');
    const { first, carried, status } = await tier.withWorker(activities, async (taskQueue) => {
      const handle = await tier.client.workflow.start(continuousTraining, { taskQueue, workflowId, args: [{ model: 'm', pipeline: 'p' }] });
      const firstRun = tier.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
      // A day of hourly checks at a time (skipped), until the server's suggestion ends the first run.
      for (let day = 0; day < 60 && (await firstRun.describe()).status.name === 'RUNNING'; day++) await tier.env.sleep(24 * HOUR);
      const first = await firstRun.describe();
      await tier.env.sleep(3 * HOUR); // a few checks in the new run
      const latest = tier.client.workflow.getHandle(workflowId);
      const history = await latest.fetchHistory();
      const started = history.events![0].workflowExecutionStartedEventAttributes!;
      const status = await latest.query(continuousTrainingStatusQuery);
      await latest.terminate('test done');
      return { first, status, carried: { ...defaultPayloadConverter.fromPayload<ContinuousTrainingInput>(started.input!.payloads![0]), from: started.firstExecutionRunId } };
    });
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect(carried.from).toBe(first.runId);
    // The new run started with the count and the last 50 decisions of the old one...
    const handedOver = carried.checksDone!;
    expect(handedOver).toBeGreaterThan(50);
    expect(carried.history!.map((d) => checkNo(d.reasons))).toEqual(Array.from({ length: 50 }, (_, i) => handedOver - 49 + i));
    // ...and went on counting from there, with no check lost or repeated, an hour apart.
    expect(status.checksDone).toBeGreaterThan(handedOver);
    expect(status.checksDone).toBe(checks());
    expect(status.decisions.map((d) => checkNo(d.reasons))).toEqual(Array.from({ length: 50 }, (_, i) => status.checksDone - 49 + i));
    expect(between(status.decisions[0].at, status.decisions[49].at)).toBeGreaterThanOrEqual(49 * HOUR);
    expect(between(status.decisions[0].at, status.decisions[49].at)).toBeLessThan(49 * HOUR + 10 * MINUTE);
    // Some 400 checks at tens of milliseconds each (real time): 20-27 s with the machine at load 14, so room for worse.
  }, 300_000);

  it('fails at once on a checkEvery it cannot read, naming the field', async () => {
    const failure = await tier.withWorker({}, (taskQueue) =>
      tier.client.workflow.execute(continuousTraining, { taskQueue, workflowId: tier.id('bad-every'), args: [{ model: 'm', pipeline: 'p', checkEvery: '6 months' }] }).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidWorkflowInput', message: expect.stringMatching(/^checkEvery: "6 months" is not a duration/) });
  });
});

describe('message handlers', () => {
  type Definitions = { name?: string | null; description?: string | null }[];
  interface Metadata {
    definition: { queryDefinitions?: Definitions; signalDefinitions?: Definitions; updateDefinitions?: Definitions };
  }
  /** Every handler the workflow declares (the SDK's own `__` queries left out), with its description, as the Temporal UI lists them. */
  const handlers = async (handle: { query: <T>(name: string) => Promise<T> }) => {
    const { definition } = await handle.query<Metadata>('__temporal_workflow_metadata');
    const list = (defs: Definitions = []) => defs.filter((d) => !d.name?.startsWith('__')).map((d) => [d.name, Boolean(d.description?.trim())]);
    return { queries: list(definition.queryDefinitions), signals: list(definition.signalDefinitions), updates: list(definition.updateDefinitions) };
  };

  it('lists every handler of the canary and of continuous training with a description', async () => {
    const activities: Partial<Activities> = {
      ...quietPolicy().activities,
      parseCanaryInput: async (raw: unknown) => parseCanaryInput(raw),
      canarySetTraffic: async () => ({ changed: true, revision: 1, versions: [], serverStartedAt: '2026-01-01T00:00:00.000Z' }),
    };
    const listed = await tier.withWorker(activities, async (taskQueue) => {
      const c = await tier.client.workflow.start(canary, { taskQueue, workflowId: tier.id('canary-handlers'), args: [{ model: 'm', candidate: 2, champion: 1 }] });
      const ct = await tier.client.workflow.start(continuousTraining, { taskQueue, workflowId: tier.id('ct-handlers'), args: [{ model: 'm', pipeline: 'p' }] });
      await waitFor(async () => (await c.query(canaryStatusQuery)).weight === 10);
      await waitFor(async () => (await ct.query(continuousTrainingStatusQuery)).checksDone === 1);
      const result = { canary: await handlers(c), continuousTraining: await handlers(ct) };
      await Promise.all([c.terminate('test done'), ct.terminate('test done')]);
      return result;
    });
    expect(listed.canary).toEqual({ queries: [['status', true]], signals: [['abort', true]], updates: [['approve', true], ['reject', true]] });
    expect(listed.continuousTraining).toEqual({ queries: [['ctStatus', true]], signals: [['checkNow', true]], updates: [] });
  });
});
