/**
 * The `command` step kind on real parts: a real dev server and worker, real flights (vega-datasets),
 * and the registered program `derive-distance-km` (trainers/steps/derive-features.py, in the
 * project's .venv) adding a feature to the train and holdout snapshots, which the built-in trainer
 * then trains on and evaluate scores. A second identical run reuses the step's cached output; an
 * unregistered program or a param its registration does not list is refused before anything runs.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { ingestParams } from '../validation/flight-files';

let env: TestWorkflowEnvironment;
let harness: Harness;

beforeAll(async () => {
  env = await startDevServer();
  harness = await startHarness(env);
}, 300_000);
afterAll(async () => {
  await harness?.close();
  await env?.teardown();
});

const derive = (params: Record<string, unknown> = { scale: 1.609344 }, program = 'derive-distance-km') => ({
  id: 'derive',
  kind: 'command',
  dependsOn: ['ingest'],
  with: { program, inputs: { train: 'ingest.train', holdout: 'ingest.holdout' }, outputs: { train: 'train.parquet', holdout: 'holdout.parquet' }, params },
});
const spec = (step = derive()) => ({
  name: 'command-step',
  model: 'command-step',
  steps: [
    { id: 'ingest', kind: 'ingest', with: ingestParams('package:vega-datasets/data/flights-3m.parquet', { from: '2001-03-01', to: '2001-03-05' }) },
    step,
    { id: 'train', kind: 'train', dependsOn: ['derive'], with: { trainer: 'builtin', features: { numeric: ['distance_km'], categorical: ['origin'] }, params: { epochs: 1, seed: 3 } } },
    { id: 'evaluate', kind: 'evaluate', dependsOn: ['train'], with: { primaryMetric: 'auc', firstRun: 'pass' } },
  ],
});
const run = (id: string, s: object): Promise<PipelineResult> =>
  env.client.workflow.execute('pipeline', { taskQueue: harness.config.taskQueue, workflowId: id, args: [{ spec: s }] });

describe('a command step in a pipeline', () => {
  it('runs a registered program on declared inputs, hands its outputs downstream, and is a cache hit the second time', async () => {
    const first = await run('command-step-1', spec());
    const step = (r: PipelineResult, id: string) => r.steps.find((s) => s.id === id)!;
    const derived = step(first, 'derive');
    expect(derived.state).toBe('succeeded');
    const summary = derived.summary as { program: string; inputs: Record<string, string>; outputs: Record<string, { sha256: string }>; result: Record<string, number> };
    expect(summary.program).toBe('derive-distance-km');
    expect(Object.keys(summary.inputs).sort()).toEqual(['holdout', 'train']);
    expect(summary.result.trainRows).toBeGreaterThan(10_000);
    // Flights in March 2001 average several hundred miles; in kilometres the mean is 1.609344 times that.
    expect(summary.result.trainMean_distance_km).toBeGreaterThan(500);
    expect(step(first, 'train').summary).toMatchObject({ features: { numeric: ['distance_km'], categorical: ['origin'] } });
    expect(Number((step(first, 'evaluate').summary as { metrics: { auc: number } }).metrics.auc)).toBeGreaterThan(0.5);

    const second = await run('command-step-2', spec());
    const again = step(second, 'derive');
    expect(again.state).toBe('cached');
    expect(again.cache).toMatchObject({ outcome: 'hit', producedBy: { workflowId: 'command-step-1', stepId: 'derive' } });
    expect((again.summary as typeof summary).outputs).toEqual(summary.outputs);

    // A changed param is a different key: the program runs again.
    const third = await run('command-step-3', spec(derive({ scale: 1.6 })));
    expect(step(third, 'derive').cache?.outcome).toBe('miss');
  }, 600_000);

  it('refuses an unregistered program, a trainer as a program and an unlisted param before any step runs', async () => {
    for (const [id, bad, message] of [
      ['command-step-bad-1', derive({}, 'rm-rf'), 'program: no command step program "rm-rf" is registered'],
      ['command-step-bad-2', derive({}, 'sklearn-hgb'), '"sklearn-hgb" is a trainer'],
      ['command-step-bad-3', derive({ shell: 'x' }), 'params: shell not allowed for program "derive-distance-km"'],
    ] as const) {
      const err = await run(id, spec(bad)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidPipelineInput', message: expect.stringContaining(message) });
      const history = await env.client.workflow.getHandle(id).fetchHistory();
      const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
      expect(scheduled).toEqual(['resolvePipeline']);
    }
  }, 300_000);
});
