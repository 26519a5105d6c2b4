import { describe, expect, it } from 'vitest';
import { allUpstreamOf, summariesOf, summaryOf, upstreamOf, upstreamStep, withKind } from './step-outputs';
import type { EvaluateSummary, RegisterSummary, TrainSummary } from './step-summaries';
import type { StepOutput } from './types';

const train = (trainer: string): StepOutput => ({ kind: 'train', artifacts: {}, summary: { trainer, params: {} } as unknown as TrainSummary });
const evaluate: StepOutput = { kind: 'evaluate', artifacts: {}, summary: { blessed: true, chosen: { step: 'train-b', reason: 'best' } } as EvaluateSummary };
// A promote summary also has `version`, and a register summary echoes `blessed`: keys say nothing about the kind.
const register: StepOutput = { kind: 'register', artifacts: {}, summary: { model: 'm', version: 3, blessed: true } satisfies RegisterSummary };
const inputs: Record<string, StepOutput> = { 'train-a': train('a'), 'train-b': train('b'), evaluate, register };

describe('typed look-ups of upstream outputs', () => {
  it('finds the nearest upstream output of a kind, with its step id', () => {
    expect(upstreamOf(inputs, 'train')).toMatchObject({ step: 'train-b', kind: 'train', summary: { trainer: 'b' } });
    expect(upstreamOf(inputs, 'evaluate')?.summary.chosen.step).toBe('train-b');
  });

  it('lists every upstream output of a kind in dependency order', () => {
    expect(allUpstreamOf(inputs, 'train').map((t) => [t.step, t.summary.trainer])).toEqual([['train-a', 'a'], ['train-b', 'b']]);
  });

  it('answers undefined when no step of the kind is upstream, whatever keys other summaries have', () => {
    expect(upstreamOf(inputs, 'canary')).toBeUndefined();
    expect(upstreamOf({ register }, 'evaluate')).toBeUndefined();
    expect(allUpstreamOf({}, 'ingest')).toEqual([]);
  });

  it('returns a named step only when it is of the kind asked for', () => {
    expect(upstreamStep(inputs, 'train-a', 'train')?.summary.trainer).toBe('a');
    expect(upstreamStep(inputs, 'evaluate', 'train')).toBeUndefined();
    expect(upstreamStep(inputs, 'missing', 'train')).toBeUndefined();
  });

  it('ignores outputs recorded without a kind until the kind is filled in from the spec', () => {
    const legacy = { artifacts: {}, summary: { model: 'm', version: 1, blessed: null } };
    expect(upstreamOf({ register: legacy as unknown as StepOutput }, 'register')).toBeUndefined();
    const filled = withKind(legacy, 'register');
    expect(filled).toEqual({ kind: 'register', artifacts: {}, summary: { model: 'm', version: 1, blessed: null } });
    expect(upstreamOf({ register: filled }, 'register')?.summary.version).toBe(1);
  });
});

describe('summaries of a run status by kind', () => {
  const steps = [
    { id: 'evaluate', kind: 'evaluate', state: 'succeeded', summary: { blessed: false } },
    { id: 'canary', kind: 'canary', state: 'running', summary: { canary: { stage: 'holding' } } },
    { id: 'promote-a', kind: 'promote', state: 'cached', summary: { outcome: 'rejected' } },
    { id: 'promote-b', kind: 'promote', state: 'succeeded', summary: { outcome: 'promoted' } },
  ];

  it('reads a finished step of the kind', () => {
    expect(summaryOf(steps[0], 'evaluate')?.blessed).toBe(false);
    expect(summaryOf(steps[0], 'register')).toBeUndefined();
    expect(summaryOf(undefined, 'evaluate')).toBeUndefined();
  });

  it('does not take a running step\'s progress for its output', () => {
    expect(summaryOf(steps[1], 'canary')).toBeUndefined();
  });

  it('lists every finished step of the kind in order', () => {
    expect(summariesOf(steps, 'promote').map((s) => s.outcome)).toEqual(['rejected', 'promoted']);
  });
});
