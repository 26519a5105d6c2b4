/**
 * Step caching on content, end to end: real dev server, real flights data (nine days of March
 * 2001), the built-in trainer. Each test uses its own model name, so champions never mix.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import type { StepStatus } from '../../src/workflows/pipeline-status';
import { startDevServer } from '../helpers/temporal-env';
import { builtinTrain, EVALUATE_WITH, INGEST_WEEK, startCachingHarness, states, type CachingHarness, type PipelineRunReport } from './caching-harness';

const log = createLogger('info');
const step = (r: PipelineRunReport, id: string): StepStatus => {
  const found = r.status.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} in ${r.workflowId}`);
  return found;
};

/** ingest → validate → two candidates, each with its own evaluation; no registry writes, so the champion never moves. */
const twoCandidates = {
  name: 'two-candidates',
  model: 'cache-two',
  maxParallel: 2,
  steps: [
    { id: 'ingest', kind: 'ingest', with: INGEST_WEEK },
    { id: 'validate', kind: 'validate', dependsOn: ['ingest'], with: { minRows: 1000 } },
    builtinTrain('train-a', 2),
    builtinTrain('train-b', 1),
    { id: 'evaluate-a', kind: 'evaluate', dependsOn: ['train-a'], with: EVALUATE_WITH },
    { id: 'evaluate-b', kind: 'evaluate', dependsOn: ['train-b'], with: EVALUATE_WITH },
  ],
};

/** The whole lifecycle with one candidate, registry writes included. */
const lifecycle = (model: string) => ({
  name: 'lifecycle',
  model,
  steps: [
    { id: 'ingest', kind: 'ingest', with: INGEST_WEEK },
    { id: 'validate', kind: 'validate', dependsOn: ['ingest'], with: { minRows: 1000 } },
    builtinTrain('train', 2),
    { id: 'evaluate', kind: 'evaluate', dependsOn: ['train'], with: EVALUATE_WITH },
    { id: 'register', kind: 'register', dependsOn: ['evaluate'] },
    { id: 'promote', kind: 'promote', dependsOn: ['register'] },
  ],
});

describe('step caching on content, on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /** A worker with its own cache, store and registry for one scenario, so no scenario reuses another's outputs. */
  const ownHarness = (): { h: CachingHarness } => {
    const ref = {} as { h: CachingHarness };
    beforeAll(async () => {
      ref.h = await startCachingHarness(env);
    });
    afterAll(async () => {
      await ref.h?.close();
    });
    return ref;
  };

  describe('two candidates', () => {
    const s = ownHarness();
    let first: PipelineRunReport;

    it('runs every step the first time and records each under its content key', async () => {
      first = await s.h.run({ spec: twoCandidates });
      expect(first.result?.outcome).toBe('completed');
      expect(Object.values(states(first.status))).toEqual(Array(6).fill('succeeded'));
      for (const st of first.status.steps) expect(st.cache).toEqual({ outcome: 'miss', key: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(step(first, 'train-a').cache?.key).not.toBe(step(first, 'train-b').cache?.key);
    });

    it('serves an identical re-run entirely from the cache: no step runs, nothing is trained', async () => {
      const again = await s.h.run({ spec: twoCandidates });
      expect(Object.values(states(again.status))).toEqual(Array(6).fill('cached'));
      for (const st of again.status.steps) {
        const original = step(first, st.id);
        expect(st.cache).toEqual({
          outcome: 'hit',
          key: original.cache?.key,
          producedBy: { workflowId: first.workflowId, runId: first.status.runId, stepId: st.id, at: expect.any(String) },
        });
        // The reused summary is the recorded one, down to the measured training time.
        expect(st.summary).toEqual(original.summary);
      }
      expect(again.result?.outputs).toEqual(first.result?.outputs);
      log.info({ firstRunMs: first.ms, identicalRerunMs: again.ms, steps: 6 }, 'two-candidate pipeline: identical re-run');
    });

    it('retrains only the candidate whose parameter changed', async () => {
      const changed = await s.h.run({ spec: twoCandidates, overrides: { 'train-b': { params: { epochs: 3 } } } });
      expect(states(changed.status)).toEqual({
        ingest: 'cached',
        validate: 'cached',
        'train-a': 'cached',
        'train-b': 'succeeded',
        'evaluate-a': 'cached',
        'evaluate-b': 'succeeded',
      });
      expect(step(changed, 'train-b').cache?.key).not.toBe(step(first, 'train-b').cache?.key);
      expect(step(changed, 'train-b').summary?.params).toMatchObject({ epochs: 3 });
    });

    it('reruns a step named in "rerun"; identical bytes out mean its dependents still hit', async () => {
      const forced = await s.h.run({ spec: twoCandidates, rerun: ['train-a'] });
      expect(step(forced, 'train-a')).toMatchObject({ state: 'succeeded', cache: { outcome: 'rerun', key: step(first, 'train-a').cache?.key } });
      // The built-in trainer is byte-for-byte reproducible, so evaluate-a's key is unchanged.
      expect(forced.result?.outputs['train-a'].artifacts.model.sha256).toBe(first.result?.outputs['train-a'].artifacts.model.sha256);
      expect(states(forced.status)).toMatchObject({ 'evaluate-a': 'cached', 'train-b': 'cached', 'evaluate-b': 'cached' });
    });

    it('reruns every step with "*", and never caches a step that opts out', async () => {
      const all = await s.h.run({ spec: twoCandidates, rerun: ['*'] });
      expect(all.status.steps.map((st) => st.cache?.outcome)).toEqual(Array(6).fill('rerun'));
      const optOut = { ...twoCandidates, steps: twoCandidates.steps.map((st) => (st.id === 'train-b' ? { ...st, cache: false } : st)) };
      const r = await s.h.run({ spec: optOut });
      expect(step(r, 'train-b').state).toBe('succeeded');
      expect(step(r, 'train-b').cache).toBeUndefined();
      expect(step(r, 'train-a').state).toBe('cached');
    });
  });

  describe('a failed run', () => {
    const s = ownHarness();

    it('is resumed by running it again: the re-run reuses every step that had succeeded', async () => {
      s.h.faults.add('evaluate');
      const failed = await s.h.run({ spec: lifecycle('cache-resume') });
      s.h.faults.clear();
      expect((failed.error?.cause as ApplicationFailure).type).toBe('InjectedFault');
      expect(states(failed.status)).toEqual({
        ingest: 'succeeded',
        validate: 'succeeded',
        train: 'succeeded',
        evaluate: 'failed',
        register: 'skipped',
        promote: 'skipped',
      });

      const resumed = await s.h.run({ spec: lifecycle('cache-resume') });
      expect(resumed.result?.outcome).toBe('promoted');
      expect(states(resumed.status)).toEqual({
        ingest: 'cached',
        validate: 'cached',
        train: 'cached',
        evaluate: 'succeeded',
        register: 'succeeded',
        promote: 'succeeded',
      });
      for (const id of ['ingest', 'validate', 'train']) {
        expect(step(resumed, id).cache?.producedBy).toMatchObject({ workflowId: failed.workflowId, stepId: id });
      }
      // Registry writes are never cached.
      expect(step(resumed, 'register').cache).toBeUndefined();
      expect((await s.h.registry.getAlias('cache-resume', 'champion'))?.version).toBe(1);
    });
  });

  describe('the whole lifecycle', () => {
    const s = ownHarness();

    it('re-run identically trains nothing, but re-evaluates against the new champion and registers again', async () => {
      const first = await s.h.run({ spec: lifecycle('cache-lifecycle') });
      expect(first.result?.outcome).toBe('promoted');
      const again = await s.h.run({ spec: lifecycle('cache-lifecycle') });
      expect(states(again.status)).toEqual({
        ingest: 'cached',
        // Validation and evaluation compare with the champion, which the first run just promoted.
        validate: 'succeeded',
        train: 'cached',
        evaluate: 'succeeded',
        register: 'succeeded',
        promote: 'succeeded',
      });
      expect(step(again, 'evaluate').summary?.champion).toMatchObject({ version: 1 });
      expect(step(again, 'train').cache?.producedBy?.workflowId).toBe(first.workflowId);
      log.info({ firstRunMs: first.ms, rerunMs: again.ms }, 'lifecycle pipeline: identical re-run after promotion');
    });
  });
});
