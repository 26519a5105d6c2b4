/**
 * The workflows' own rules, against typed mock activities on a real dev server: timeouts and
 * their defaults, cancellation, abort and continue-as-new. Durations are seconds, not hours, so the
 * tier stays fast (no time-skipping test server can be downloaded here; the dev server is the real one).
 */
import { createDecisionActivities } from '../../src/activities/verify-decision';
import { devPrincipal } from '../../src/auth/run-authority';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Activities } from '../../src/activities';
import { resolvePipelineInput } from '../../src/pipeline/resolve-pipeline-input';
import type { StepMeasurement, VersionWindow } from '../../src/canary/analysis';
import { parseCanaryInput } from '../../src/canary/canary-input';
import type { StepKindName } from '../../src/pipeline/step-kinds';
import type { StepRequest, StepResult } from '../../src/pipeline/types';
import { abortSignal, canaryStatusQuery, continuousTrainingStatusQuery, statusQuery } from '../../src/workflows/definitions';
import { canary, continuousTraining, pipeline } from '../../src/workflows';

import { SEARCH_ATTRIBUTE_KEYS } from '../../src/workflows/search-attributes';
import { WORKFLOWS_PATH } from '../../src/workflows-path';

/** Events after which the server suggests continue-as-new (default 4 Ki; a few checks here). */
const SUGGEST_CONTINUE_AS_NEW_AT = 40;

let env: TestWorkflowEnvironment;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let queueNo = 0;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: inject('temporalCli') },
        searchAttributes: SEARCH_ATTRIBUTE_KEYS,
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`],
      },
    }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never }),
  ]);
  client = env.client;
});
afterAll(async () => env?.teardown());

/** Runs `fn` with a worker on a fresh task queue serving the given mock activities. */
async function withWorker<T>(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `workflow-rules-${++queueNo}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    // Decisions go through the real verifier, in the local dev setup's trust (unsigned ones act as dev:local).
    activities: { taskQueues: async () => null, ...createDecisionActivities({ trust: { devPrincipal: 'dev:local', inlineCommandPrincipals: [] } }), ...activities },
  });
  return worker.runUntil(fn(taskQueue));
}

/**
 * A step result without `kind`, as results were recorded before outputs carried it (and typed as
 * the kind's result only for the mock's signature): the workflow must take the kind from the spec.
 */
const ok = <K extends StepKindName>(summary: Record<string, unknown>) => ({ artifacts: {}, summary, attempt: 1 }) as unknown as StepResult<K>;

/** A manual promotion after a blessed evaluation; `promote` records the request it gets. */
function promotionRun(approvalTimeout: string) {
  const promoted: StepRequest[] = [];
  const activities: Partial<Activities> = {
    resolvePipeline: (input: unknown) => resolvePipelineInput({ pipelinesDir: 'pipelines' }, input, { principal: devPrincipal('dev:local'), via: 'dev' }),
    evaluate: async () => ok({ gates: [], blessed: true }),
    promote: async (req: StepRequest) => {
      promoted.push(req);
      return ok({ outcome: req.approval?.decision === 'approved' ? 'promoted' : 'rejected' });
    },
  };
  const input = {
    spec: {
      name: 'workflow-rules',
      model: 'workflow-rules',
      steps: [
        { id: 'evaluate', kind: 'evaluate' },
        { id: 'promote', kind: 'promote', dependsOn: ['evaluate'], with: { mode: 'manual', approvalTimeout } },
      ],
    },
  };
  return { activities, input, promoted };
}

describe('pipeline: manual promotion', () => {
  it('rejects a promotion nobody answered by its approval timeout (the default), and promote hears it', async () => {
    const { activities, input, promoted } = promotionRun('2s');
    const result = await withWorker(activities, (taskQueue) =>
      client.workflow.execute(pipeline, { taskQueue, workflowId: `approval-timeout-${queueNo}`, args: [input] }),
    );
    expect(result.approval).toMatchObject({ stepId: 'promote', state: 'rejected', decision: { decision: 'rejected', approver: 'timeout' } });
    expect(promoted).toHaveLength(1);
    expect(promoted[0].approval).toMatchObject({ decision: 'rejected', approver: 'timeout' });
  });

  it('ends as cancelled when cancelled while waiting for approval, and never promotes', async () => {
    const { activities, input, promoted } = promotionRun('1 hour');
    const failure = await withWorker(activities, async (taskQueue) => {
      const handle = await client.workflow.start(pipeline, { taskQueue, workflowId: `approval-cancel-${queueNo}`, args: [input] });
      await waitFor(async () => (await handle.query(statusQuery)).approval?.state === 'pending');
      await handle.cancel();
      return handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(promoted).toHaveLength(0);
  });
});

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

function canaryWorld() {
  const weights: number[] = [];
  const activities: Partial<Activities> = {
    parseCanaryInput: async (raw: unknown) => parseCanaryInput(raw),
    canarySetTraffic: async (req) => {
      weights.push(req.weight);
      return { changed: true, revision: weights.length, versions: [], serverStartedAt: '2026-01-01T00:00:00.000Z' };
    },
    canaryMeasure: async () => quietStep(),
    canaryWriteReport: async () => ({ uri: 'artifact://sha256/0', sha256: '0', bytes: 0, name: 'canaryReport', mediaType: 'application/json' }),
  };
  return { activities, weights };
}

describe('canary', () => {
  it('rolls back when an inconclusive step gets no decision before its timeout (the default)', async () => {
    const { activities, weights } = canaryWorld();
    const result = await withWorker(activities, (taskQueue) =>
      client.workflow.execute(canary, {
        taskQueue,
        workflowId: `canary-timeout-${queueNo}`,
        args: [{ model: 'm', candidate: 2, champion: 1, params: { steps: [50, 100], interval: '1s', decisionTimeout: '2s' } }],
      }),
    );
    expect(result.summary.canaryVerdict).toBe('rolled-back');
    expect(weights).toEqual([50, 0]);
    expect(JSON.stringify(result.summary.reasons)).toMatch(/rejected by timeout/);
  });

  it('rolls back at once on abort, without waiting out the step', async () => {
    const { activities, weights } = canaryWorld();
    const started = Date.now();
    const { result, status } = await withWorker(activities, async (taskQueue) => {
      const handle = await client.workflow.start(canary, {
        taskQueue,
        workflowId: `canary-abort-${queueNo}`,
        args: [{ model: 'm', candidate: 2, champion: 1, params: { steps: [10, 100], interval: '1 hour' } }],
      });
      await waitFor(async () => (await handle.query(canaryStatusQuery)).weight === 10);
      await handle.signal(abortSignal, { by: 'alice', reason: 'dashboards look wrong' });
      return { result: await handle.result(), status: await handle.query(canaryStatusQuery) };
    });
    expect(result.summary.canaryVerdict).toBe('aborted');
    // Unsigned, so the worker records the dev principal, not the name the signal claims (docs/trust-boundary.md).
    expect(result.summary.reasons).toEqual(['aborted by dev:local: dashboards look wrong']);
    expect(weights).toEqual([10, 0]);
    expect(status.stage).toBe('done');
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

describe('continuous training', () => {
  it('continues as new when the server suggests it, carrying its checks and decisions', async () => {
    let checks = 0;
    const activities: Partial<Activities> = {
      assessRetraining: async () => ({ retrain: false, reasons: [`check ${++checks}: nothing fired`], championVersion: 1 }),
    };
    const workflowId = `ct-continue-as-new-${queueNo + 1}`;
    const status = await withWorker(activities, async (taskQueue) => {
      const first = await client.workflow.start(continuousTraining, { taskQueue, workflowId, args: [{ model: 'm', pipeline: 'p', checkEvery: '100ms' }] });
      const latest = client.workflow.getHandle(workflowId);
      await waitFor(async () => (await latest.describe()).runId !== first.firstExecutionRunId);
      const s = await latest.query(continuousTrainingStatusQuery);
      await latest.terminate('test done');
      return s;
    });
    // The new run starts counting where the old one stopped and keeps its decisions.
    expect(status.checksDone).toBeGreaterThan(1);
    expect(status.decisions.length).toBe(status.checksDone);
    expect(status.decisions[0].reasons).toEqual(['check 1: nothing fired']);
  });

  it('fails at once on a checkEvery it cannot read, naming the field', async () => {
    const failure = await withWorker({}, (taskQueue) =>
      client.workflow.execute(continuousTraining, { taskQueue, workflowId: `ct-bad-every-${queueNo}`, args: [{ model: 'm', pipeline: 'p', checkEvery: '6 months' }] }).then(
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
    const { activities } = canaryWorld();
    const listed = await withWorker(
      { ...activities, assessRetraining: async () => ({ retrain: false, reasons: ['nothing fired'], championVersion: 1 }) },
      async (taskQueue) => {
        const c = await client.workflow.start(canary, { taskQueue, workflowId: `canary-handlers-${queueNo}`, args: [{ model: 'm', candidate: 2, champion: 1, params: { steps: [10, 100], interval: '1 hour' } }] });
        const ct = await client.workflow.start(continuousTraining, { taskQueue, workflowId: `ct-handlers-${queueNo}`, args: [{ model: 'm', pipeline: 'p', checkEvery: '1 hour' }] });
        await waitFor(async () => (await c.query(canaryStatusQuery)).weight === 10);
        await waitFor(async () => (await ct.query(continuousTrainingStatusQuery)).checksDone === 1);
        const result = { canary: await handlers(c), continuousTraining: await handlers(ct) };
        await Promise.all([c.terminate('test done'), ct.terminate('test done')]);
        return result;
      },
    );
    expect(listed.canary).toEqual({ queries: [['status', true]], signals: [['abort', true]], updates: [['approve', true], ['reject', true]] });
    expect(listed.continuousTraining).toEqual({ queries: [['ctStatus', true]], signals: [['checkNow', true]], updates: [] });
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // The first workflow task may not have run yet.
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
