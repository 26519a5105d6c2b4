import { describe, expect, it } from 'vitest';
import { parsePipelineSpec } from '../pipeline/parse-spec';
import type { RecordedStepResult } from '../pipeline/types';
import { PipelineRun } from './pipeline-run';

const rawSpec = {
  name: 'p',
  model: 'm',
  steps: [
    { id: 'ingest', kind: 'ingest', with: { source: { path: 'x.parquet' }, timeColumn: 't', features: [{ name: 'a', column: 'a' }], label: { column: 'y', op: 'gt', value: 0 } } },
    { id: 'train', kind: 'train', dependsOn: ['ingest'], with: { features: { numeric: ['a'] } } },
    { id: 'train-nocache', kind: 'train', dependsOn: ['ingest'], cache: false, with: { features: { numeric: ['a'] } } },
    { id: 'register', kind: 'register', dependsOn: ['train'] },
  ],
};

const start = (rerun?: string[]) => {
  const run = new PipelineRun('wf-2', 'run-2');
  run.begin({ spec: parsePipelineSpec(rawSpec, { rerun }), specDigest: 'd', source: 'inline', rerun });
  return run;
};
const directives = (run: PipelineRun) =>
  Object.fromEntries(run.pipelineSpec.steps.map((s) => [s.id, run.request(s).cache?.mode ?? 'none']));

describe('PipelineRun cache directives', () => {
  it.each<[string, string[] | undefined, Record<string, string>]>([
    ['uses the cache for cacheable kinds, never for register, not for cache: false', undefined, { ingest: 'use', train: 'use', 'train-nocache': 'none', register: 'none' }],
    ['forces the named steps to run', ['train'], { ingest: 'use', train: 'rerun', 'train-nocache': 'none', register: 'none' }],
    ['forces every cacheable step with "*"', ['*'], { ingest: 'rerun', train: 'rerun', 'train-nocache': 'none', register: 'none' }],
  ])('%s', (_label, rerun, expected) => {
    expect(directives(start(rerun))).toEqual(expected);
  });

  it('treats a resolved pipeline from before caching (no rerun field) as rerunning nothing', () => {
    const run = new PipelineRun('wf', 'run');
    run.begin({ spec: parsePipelineSpec(rawSpec), specDigest: 'd', source: 'inline' });
    expect(directives(run).train).toBe('use');
  });
});

describe('PipelineRun with cached steps', () => {
  // Recorded without a kind, as results were before outputs carried it: the run takes it from the spec.
  const hit: RecordedStepResult = {
    artifacts: { train: { uri: 'artifact://sha256/' + 'a'.repeat(64), sha256: 'a'.repeat(64), bytes: 1, name: 'train', mediaType: 'x' } },
    summary: { trainRows: 10 },
    attempt: 1,
    cache: { outcome: 'hit', key: 'k'.repeat(64), producedBy: { workflowId: 'wf-1', runId: 'run-1', stepId: 'ingest', at: '2001-03-01T00:00:00Z' } },
  };

  it('reports a reused step as cached, with its key and producing run, and starts its dependents', () => {
    const run = start();
    const ingest = run.readySteps()[0];
    run.started(ingest.id, 0);
    run.succeeded(ingest.id, hit, 5);
    const status = run.status().steps.find((s) => s.id === 'ingest');
    expect(status).toMatchObject({ state: 'cached', attempts: 1, durationMs: 5, cache: hit.cache, summary: { trainRows: 10 } });
    expect(run.readySteps().map((s) => s.id)).toEqual(['train', 'train-nocache']);
    // Downstream steps get the output with the kind its spec names, not the cache bookkeeping.
    expect(run.request(run.readySteps()[0]).inputs.ingest).toEqual({ kind: 'ingest', artifacts: hit.artifacts, summary: hit.summary });
  });

  it('reports a step that ran as succeeded, with the key it was stored under', () => {
    const run = start();
    run.started('ingest', 0);
    run.succeeded('ingest', { ...hit, cache: { outcome: 'miss', key: 'k'.repeat(64) } }, 5);
    expect(run.status().steps[0]).toMatchObject({ state: 'succeeded', cache: { outcome: 'miss' } });
  });

  it('completes with outcome completed when every step was cached', () => {
    const run = new PipelineRun('wf', 'run');
    run.begin({ spec: parsePipelineSpec({ ...rawSpec, steps: rawSpec.steps.slice(0, 2) }), specDigest: 'd', source: 'inline' });
    for (const id of ['ingest', 'train']) {
      run.started(id, 0);
      run.succeeded(id, hit, 1);
    }
    expect(run.readySteps()).toEqual([]);
    expect(run.finish()).toMatchObject({ stage: 'completed', outcome: 'completed' });
  });
});

describe('PipelineRun outcome', () => {
  const spec = {
    name: 'p',
    model: 'm',
    steps: [
      { id: 'ship', kind: 'promote' },
      { id: 'after', kind: 'noop', dependsOn: ['ship'] },
    ],
  };
  // Both recorded without a kind, as results were before outputs carried it.
  const finish = (ship: Record<string, unknown>, after: Record<string, unknown>) => {
    const run = new PipelineRun('wf', 'run');
    run.begin({ spec: parsePipelineSpec(spec), specDigest: 'd', source: 'inline' });
    run.started('ship', 0);
    run.succeeded('ship', { artifacts: {}, summary: ship, attempt: 1 }, 1);
    run.started('after', 1);
    run.succeeded('after', { artifacts: {}, summary: after, attempt: 1 }, 2);
    return run.finish();
  };
  const rejected = { outcome: 'rejected', version: 2, alias: 'champion', reasons: ['not blessed'] };

  it('takes the verdict of the promote step, whose kind comes from the spec', () => {
    const result = finish(rejected, { noop: true, upstream: 1 });
    expect(result.outcome).toBe('rejected');
    expect([result.outputs.ship.kind, result.outputs.after.kind]).toEqual(['promote', 'noop']);
  });

  it('does not take an `outcome` field in a later step of another kind for the verdict', () => {
    expect(finish(rejected, { outcome: 'promoted' }).outcome).toBe('rejected');
  });
});
