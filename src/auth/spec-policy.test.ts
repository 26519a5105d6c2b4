import { describe, expect, it } from 'vitest';
import { parsePipelineSpec } from '../pipeline/parse-spec';
import type { Principal } from './principal';
import { specPolicyProblems } from './spec-policy';

const raw = {
  name: 'p',
  model: 'm',
  steps: [
    { id: 'ingest', kind: 'noop' },
    { id: 'validate', kind: 'validate', dependsOn: ['ingest'], with: { minRows: 10 } },
    { id: 'evaluate', kind: 'evaluate', dependsOn: ['validate'], with: { gates: [{ metric: 'auc', min: 0.6 }] } },
    { id: 'promote', kind: 'promote', dependsOn: ['evaluate'] },
  ],
};
const baseline = parsePipelineSpec(raw);
const who = (name: string, roles: Principal['roles'], grants: Principal['grants'] = []): Principal => ({ name, roles, grants });
const operator = who('otto', ['operator']);
const owner = who('ann', ['approver', 'operator'], [{ model: 'm', alias: '*' }]);

describe('spec policy', () => {
  it.each([
    ['a changed gate', { overrides: { evaluate: { gates: [] } } }, /overrides\.evaluate\.gates/],
    ['a champion comparison (test, margin, within days)', { overrides: { evaluate: { comparison: { stratify: 'day' } } } }, /overrides\.evaluate\.comparison/],
    ['the champion comparison turned off', { overrides: { evaluate: { comparison: 'off' } } }, /overrides\.evaluate\.comparison/],
    ['a recent-traffic gate that skips on too few labels', { overrides: { evaluate: { recent: { served: { window: '7 days' }, onTooFewLabels: 'skip' } } } }, /overrides\.evaluate\.recent/],
    ['a validate threshold', { overrides: { validate: { minRows: 1 } } }, /overrides\.validate\.minRows/],
    ['a multiclass tainted-data floor', { overrides: { validate: { poisoning: { minGlobalRateDifference: 1 } } } }, /overrides\.validate\.poisoning/],
    ['a regression tainted-data floor', { overrides: { validate: { poisoning: { regression: { minSliceShift: 100 } } } } }, /overrides\.validate\.poisoning/],
    ['a looser label-threshold floor', { overrides: { validate: { poisoning: { labelSource: { minBoundaryRatio: 100 } } } } }, /overrides\.validate\.poisoning/],
    ['the label-threshold check turned off', { overrides: { validate: { severity: { labelSourceBoundary: 'off' } } } }, /overrides\.validate\.severity/],
    ['another alias', { overrides: { promote: { alias: 'prod' } } }, /overrides\.promote\.alias/],
    ['another model', { model: 'other' }, /^model: only the owner of model "other"/],
  ])('refuses an operator %s', (_what, input, problem) => {
    const spec = parsePipelineSpec(raw, input as never);
    expect(specPolicyProblems({ principal: operator, spec, baseline, inlineCommandPrincipals: [] }).join('\n')).toMatch(problem);
    expect(specPolicyProblems({ principal: owner, spec: parsePipelineSpec(raw, { ...(input as object), model: undefined } as never), baseline, inlineCommandPrincipals: [] })).toEqual([]);
  });

  it('lets an operator run the pipeline unchanged, and an inline spec that moves nothing', () => {
    expect(specPolicyProblems({ principal: operator, spec: baseline, baseline, inlineCommandPrincipals: [] })).toEqual([]);
    const inline = parsePipelineSpec({ name: 'x', model: 'anything', steps: [{ id: 'a', kind: 'noop' }] });
    expect(specPolicyProblems({ principal: operator, spec: inline, inlineCommandPrincipals: [] })).toEqual([]);
  });

  it('lets only the owner of another model read its served traffic; a model\'s own traffic is the pipeline\'s', () => {
    const ingest = (model: string) => ({
      id: 'ingest',
      kind: 'ingest',
      with: { source: { served: { model, window: '1 day' } }, timeColumn: 'served_at', features: [{ name: 'distance', column: 'distance' }], label: { name: 'label', column: 'label' } },
    });
    const spec = (served: string) => parsePipelineSpec({ name: 'x', model: 'm', steps: [ingest(served)] });
    expect(specPolicyProblems({ principal: operator, spec: spec('payments'), inlineCommandPrincipals: [] })).toEqual([
      'steps[0] (ingest).with.source.served.model: reading the served traffic of model "payments" needs its owner (admin, or approver with a grant on payments); otto is not',
    ]);
    expect(specPolicyProblems({ principal: owner, spec: spec('payments'), inlineCommandPrincipals: [] })).toHaveLength(1);
    expect(specPolicyProblems({ principal: operator, spec: spec('m'), inlineCommandPrincipals: [] })).toEqual([]);
    expect(specPolicyProblems({ principal: who('pat', ['approver'], [{ model: 'payments', alias: '*' }]), spec: spec('payments'), inlineCommandPrincipals: [] })).toEqual([]);
  });

  it("lets only the owner of another model judge a candidate on that model's served traffic", () => {
    const spec = (model: string) =>
      parsePipelineSpec({ name: 'x', model: 'm', steps: [{ id: 'ingest', kind: 'noop' }, { id: 'evaluate', kind: 'evaluate', dependsOn: ['ingest'], with: { recent: { served: { model, window: '7 days' } } } }] });
    expect(specPolicyProblems({ principal: operator, spec: spec('payments'), inlineCommandPrincipals: [] })).toEqual([
      'steps[1] (evaluate).with.recent.served.model: reading the served traffic of model "payments" needs its owner (admin, or approver with a grant on payments); otto is not',
    ]);
    expect(specPolicyProblems({ principal: operator, spec: spec('m'), inlineCommandPrincipals: [] })).toEqual([]);
    expect(specPolicyProblems({ principal: who('pat', ['approver'], [{ model: 'payments', alias: '*' }]), spec: spec('payments'), inlineCommandPrincipals: [] })).toEqual([]);
  });

  it('refuses inline commands to everyone not listed, admins included', () => {
    const spec = parsePipelineSpec({ name: 'x', model: 'x', steps: [{ id: 't', kind: 'train', with: { trainer: 'command', command: ['sh'], features: { numeric: ['a'] } } }] });
    const admin = who('root', ['admin']);
    expect(specPolicyProblems({ principal: admin, spec, inlineCommandPrincipals: [] })).toHaveLength(1);
    expect(specPolicyProblems({ principal: admin, spec, inlineCommandPrincipals: ['root'] })).toEqual([]);
    expect(specPolicyProblems({ principal: undefined, spec, inlineCommandPrincipals: ['root'] })[0]).toMatch(/a run without a verifiable identity may not run an inline command/);
  });

  it('lets an operator set an ingest select on a named pipeline (operator field, like source.path: it only filters the declared files)', () => {
    const ingest = { source: { path: 'data/x.csv' }, timeColumn: 't', features: [{ name: 'a', column: 'a' }], label: { column: 'y' } };
    const named = { ...raw, steps: [{ id: 'ingest', kind: 'ingest', with: ingest }, ...raw.steps.slice(1)] };
    const base = parsePipelineSpec(named);
    const spec = parsePipelineSpec(named, { overrides: { ingest: { source: { select: 'SELECT * FROM source WHERE a > 0' } } } });
    expect(specPolicyProblems({ principal: operator, spec, baseline: base, inlineCommandPrincipals: [] })).toEqual([]);
  });
});

describe('spec policy of the canary analysis margins', () => {
  const canaryRaw = {
    ...raw,
    steps: [...raw.steps.slice(0, 3), { id: 'canary', kind: 'canary', dependsOn: ['evaluate'], with: { steps: [50, 100], analysis: { minLabels: 100 } } }, { ...raw.steps[3], dependsOn: ['canary'] }],
  };
  const canaryBaseline = parsePipelineSpec(canaryRaw);

  it('lets only the model\'s owner loosen the live log-loss margin (maxLogLossIncrease)', () => {
    const input = { overrides: { canary: { analysis: { minLabels: 100, maxLogLossIncrease: 1 } } } };
    const problems = specPolicyProblems({ principal: operator, spec: parsePipelineSpec(canaryRaw, input as never), baseline: canaryBaseline, inlineCommandPrincipals: [] });
    expect(problems.join('\n')).toMatch(/overrides\.canary\.analysis: set by the model's owner/);
    expect(specPolicyProblems({ principal: owner, spec: parsePipelineSpec(canaryRaw, input as never), baseline: canaryBaseline, inlineCommandPrincipals: [] })).toEqual([]);
  });

  it('refuses a negative margin naming the field', () => {
    expect(() => parsePipelineSpec(canaryRaw, { overrides: { canary: { analysis: { maxLogLossIncrease: -0.1 } } } } as never)).toThrow(/maxLogLossIncrease/);
  });
});
