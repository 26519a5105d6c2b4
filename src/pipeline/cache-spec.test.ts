import { describe, expect, it } from 'vitest';
import { parsePipelineInput, parsePipelineSpec } from './parse-spec';

const spec = (steps: unknown[]) => ({ name: 'p', model: 'm', steps });
const register = (extra: object = {}) => ({ id: 'register', kind: 'register', ...extra });
const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    return (err as { problems: string[] }).problems;
  }
  return [];
};

describe('caching fields of the spec and the input', () => {
  it('accepts cache: false on any step and leaves it off the spec otherwise', () => {
    const parsed = parsePipelineSpec(spec([register({ cache: false }), { id: 'promote', kind: 'promote', dependsOn: ['register'] }]));
    expect(parsed.steps.map((s) => s.cache)).toEqual([false, undefined]);
  });

  it('rejects cache: true on a kind whose side effects must happen in every run', () => {
    expect(problems(() => parsePipelineSpec(spec([register({ cache: true })])))).toEqual([
      'spec.steps[0].cache: register steps are never cached (their side effects must happen in every run); remove "cache"',
    ]);
  });

  it('accepts rerun of known step ids and "*", and names unknown ones', () => {
    expect(parsePipelineInput({ pipeline: 'p', rerun: ['train', '*'] }).rerun).toEqual(['train', '*']);
    expect(problems(() => parsePipelineSpec(spec([register()]), { rerun: ['register', 'trian'] }))).toEqual([
      'input.rerun[1]: no step "trian" in the pipeline (steps: register)',
    ]);
    expect(problems(() => parsePipelineInput({ pipeline: 'p', rerun: ['Train!'] }))).toEqual([
      'input.rerun[0]: expected a step id such as "train", or "*" for every step',
    ]);
  });
});
