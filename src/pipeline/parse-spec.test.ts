import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { InvalidPipelineInputError } from '../errors';
import { parsePipelineInput, parsePipelineSpec } from './parse-spec';

const shipped = (name: string) => YAML.parse(readFileSync(path.join(__dirname, `../../pipelines/${name}.yaml`), 'utf8'));
// The single-trainer variant has the plain six-step shape the tests below edit by index.
const flightDelay = shipped('flight-delay-builtin');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidPipelineInputError) return err.problems;
    throw err;
  }
  throw new Error('expected InvalidPipelineInputError');
}

describe('parsePipelineSpec', () => {
  it('accepts the shipped flight-delay pipeline and fills parameter defaults', () => {
    const spec = parsePipelineSpec(flightDelay);
    expect(spec.steps.map((s) => s.id)).toEqual(['ingest', 'validate', 'train', 'evaluate', 'register', 'promote']);
    expect(spec.steps[0].with.split).toEqual({ strategy: 'time', holdoutFraction: 0.2 });
    expect(spec.steps[3].with.threshold).toBe(0.5);
  });

  it('accepts the shipped two-candidate flight-delay pipeline', () => {
    const spec = parsePipelineSpec(shipped('flight-delay'));
    expect(spec.steps.map((s) => s.id)).toEqual(['ingest', 'validate', 'train-builtin', 'train-gbm', 'evaluate', 'register', 'promote']);
    expect(spec.steps[4].dependsOn).toEqual(['train-builtin', 'train-gbm']);
  });

  it('deep-merges overrides into the named step', () => {
    const spec = parsePipelineSpec(flightDelay, { overrides: { ingest: { window: { to: '2001-01-15' } } }, model: 'delays-test' });
    expect(spec.model).toBe('delays-test');
    expect(spec.steps[0].with.window).toEqual({ from: '2001-01-01', to: '2001-01-15' });
  });

  it('lists every problem at once, each with its JSON path', () => {
    const broken = structuredClone(flightDelay);
    broken.steps[0].kind = 'ingest-magic';
    broken.steps[2].dependsOn = ['nowhere'];
    broken.steps[3].with.gates[0].metric = 'auroc';
    broken.steps[1].with.minRows = 'many';
    broken.steps[4].colour = 'blue';
    const problems = problemsOf(() => parsePipelineSpec(broken));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.steps\[0\]\.kind: unknown step kind "ingest-magic"; known kinds: ingest, validate/),
        expect.stringMatching(/^spec\.steps\[4\]: Unrecognized key.*colour/),
      ]),
    );
  });

  it('reports parameter errors per step once the structure is valid', () => {
    const broken = structuredClone(flightDelay);
    broken.steps[2].dependsOn = ['nowhere'];
    broken.steps[3].with.gates[0].metric = 'auroc';
    broken.steps[1].with.minRows = 'many';
    const problems = problemsOf(() => parsePipelineSpec(broken));
    expect(problems).toEqual(
      expect.arrayContaining([
        'spec.steps[2].dependsOn[0]: unknown step "nowhere"',
        expect.stringMatching(/^spec\.steps\[1\]\.with\.minRows: Invalid input: expected number/),
        expect.stringMatching(/^spec\.steps\[3\]\.with\.gates\[0\]\.metric: Invalid option/),
      ]),
    );
  });

  it('rejects an override for a step the pipeline does not have', () => {
    expect(problemsOf(() => parsePipelineSpec(flightDelay, { overrides: { trian: { epochs: 2 } } }))).toContain(
      'input.overrides.trian: no step "trian" in the pipeline (steps: ingest, validate, train, evaluate, register, promote)',
    );
  });

  it('rejects a cycle', () => {
    const cyclic = structuredClone(flightDelay);
    cyclic.steps[0].dependsOn = ['promote'];
    expect(problemsOf(() => parsePipelineSpec(cyclic))).toContain(
      'spec.steps: dependency cycle ingest -> promote -> register -> evaluate -> train -> validate -> ingest',
    );
  });
});

describe('input limits', () => {
  const manySteps = (n: number) => ({
    ...flightDelay,
    steps: [...flightDelay.steps, ...Array.from({ length: n }, (_, i) => ({ id: `extra-${i}`, kind: 'noop', dependsOn: ['ingest'] }))],
  });

  it('refuses more than 200 steps, naming the limit', () => {
    expect(problemsOf(() => parsePipelineSpec(manySteps(195)))).toContain('spec.steps: at most 200 steps (limit maxSteps); split the pipeline');
  });

  it('refuses more than 64 dependencies on one step', () => {
    const spec = manySteps(70);
    spec.steps[spec.steps.length - 1] = { id: 'fan-in', kind: 'noop', dependsOn: spec.steps.slice(6, 71).map((s: { id: string }) => s.id) };
    expect(problemsOf(() => parsePipelineSpec(spec))).toContain(`spec.steps[${spec.steps.length - 1}].dependsOn: at most 64 dependencies per step (limit maxDependsOn)`);
  });

  it('refuses an inline spec over the size limit before validating it', () => {
    const spec = { ...flightDelay, description: 'x'.repeat(300_000) };
    expect(problemsOf(() => parsePipelineInput({ spec }))[0]).toMatch(/^input: larger than the limit of 262144 bytes \(maxInputBytes\)/);
  });
});

describe('parsePipelineInput', () => {
  it('accepts a named pipeline as a complete input', () => {
    expect(parsePipelineInput({ pipeline: 'flight-delay' })).toEqual({ pipeline: 'flight-delay' });
  });

  it.each([
    [{}, 'input: give exactly one of "pipeline" (a named pipeline) or "spec" (an inline spec)'],
    [{ pipeline: '../etc/passwd' }, 'input.pipeline: expected a lowercase id such as "train-lr"'],
    [{ pipeline: 'flight-delay', extra: 1 }, 'input: Unrecognized key: "extra" (extra)'],
  ])('rejects %j', (input, problem) => {
    expect(problemsOf(() => parsePipelineInput(input))).toContain(problem);
  });
});
