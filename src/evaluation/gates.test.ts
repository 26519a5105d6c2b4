import { describe, expect, it } from 'vitest';
import type { Gate } from '../pipeline/step-params';
import { applyGates } from './gates';

const gate = (g: Partial<Gate> & Pick<Gate, 'metric'>): Gate => ({ compare: 'value', ...g });

describe('applyGates', () => {
  it('blesses a candidate that clears every value gate', () => {
    const v = applyGates({ gates: [gate({ metric: 'auc', min: 0.6 }), gate({ metric: 'logLoss', max: 0.5 })], firstRun: 'pass' }, { auc: 0.7, logLoss: 0.4 }, undefined);
    expect(v.blessed).toBe(true);
    expect(v.gates.map((g) => g.observed)).toEqual([0.7, 0.4]);
  });

  it.each([
    ['value below min', gate({ metric: 'auc', min: 0.8 }), { auc: 0.7 }, { auc: 0.6 }, 'candidate.auc = 0.7000, required >= 0.8'],
    ['delta below min', gate({ metric: 'auc', compare: 'delta', min: -0.005 }), { auc: 0.69 }, { auc: 0.7 }, 'candidate.auc - champion.auc = -0.0100, required >= -0.005'],
    ['relative above max', gate({ metric: 'logLoss', compare: 'relative', max: 0.01 }), { logLoss: 0.55 }, { logLoss: 0.5 }, '(candidate.logLoss - champion.logLoss) / |champion.logLoss| = 0.1000, required <= 0.01'],
    ['missing metric', gate({ metric: 'f1', min: 0 }), { auc: 0.7 }, { auc: 0.6 }, 'f1: candidate metric is missing'],
    ['NaN metric', gate({ metric: 'auc', min: 0 }), { auc: Number.NaN }, { auc: 0.6 }, 'auc: candidate metric is missing'],
  ])('fails on %s with the formula in the reason', (_name, g, candidate, champion, reason) => {
    const v = applyGates({ gates: [g], firstRun: 'pass' }, candidate, champion);
    expect(v.blessed).toBe(false);
    expect(v.reasons).toEqual([reason]);
  });

  it('passes comparison gates without a champion under the "pass" first-run policy', () => {
    const v = applyGates({ gates: [gate({ metric: 'auc', compare: 'delta', min: 0 })], firstRun: 'pass' }, { auc: 0.7 }, undefined);
    expect(v.blessed).toBe(true);
  });

  it('never blesses a first model under the "fail" first-run policy', () => {
    const v = applyGates({ gates: [], firstRun: 'fail' }, { auc: 0.99 }, undefined);
    expect(v.blessed).toBe(false);
    expect(v.reasons[0]).toMatch(/no champion exists and the firstRun policy is "fail"/);
  });
});

describe('applyGates on slices', () => {
  const slices = {
    candidate: { origin: { ORD: { auc: 0.7 }, ATL: { auc: 0.52 }, SFO: null } },
    champion: { origin: { ORD: { auc: 0.69 }, ATL: { auc: 0.6 }, SFO: null } },
  };

  it('applies an every-slice gate to each slice that has metrics, naming the failing slice', () => {
    const v = applyGates({ gates: [gate({ metric: 'auc', min: 0.55, slice: { column: 'origin' } })], firstRun: 'pass' }, { auc: 0.7 }, undefined, slices);
    expect(v.gates.map((g) => [g.slice?.value, g.passed])).toEqual([
      ['ORD', true],
      ['ATL', false],
    ]);
    expect(v.reasons).toEqual(['candidate.auc[origin=ATL] = 0.5200, required >= 0.55']);
  });

  it('compares a slice with the same slice of the champion', () => {
    const g = gate({ metric: 'auc', compare: 'delta', min: -0.05, slice: { column: 'origin', value: 'ATL' } });
    const v = applyGates({ gates: [g], firstRun: 'pass' }, { auc: 0.7 }, { auc: 0.69 }, slices);
    expect(v.gates[0]).toMatchObject({ candidate: 0.52, champion: 0.6, formula: 'candidate.auc[origin=ATL] - champion.auc[origin=ATL]', passed: false });
    expect(v.reasons).toEqual(['candidate.auc[origin=ATL] - champion.auc[origin=ATL] = -0.0800, required >= -0.05']);
  });

  it.each([
    ['a named slice without metrics', { column: 'origin', value: 'SFO' }, 'auc[origin=SFO]: candidate metric is missing'],
    ['a named slice that does not exist', { column: 'origin', value: 'JFK' }, 'auc[origin=JFK]: candidate metric is missing'],
    ['a column with no slices', { column: 'dest' }, 'auc[dest]: the holdout has no slices of "dest"'],
  ])('fails on %s', (_name, slice, reason) => {
    const v = applyGates({ gates: [gate({ metric: 'auc', min: 0.5, slice })], firstRun: 'pass' }, { auc: 0.7 }, undefined, slices);
    expect(v.blessed).toBe(false);
    expect(v.reasons).toEqual([reason]);
  });
});
