import { describe, expect, it } from 'vitest';
import { selectCandidate } from './select-candidate';

const c = (id: string, metrics: Record<string, number | null>) => ({ id, metrics });

describe('selectCandidate', () => {
  it.each([
    ['the highest AUC', 'auc', [c('a', { auc: 0.66 }), c('b', { auc: 0.69 }), c('c', { auc: 0.68 })], 1, 'highest auc: 0.6900 (b) vs 0.6600 (a), 0.6800 (c)'],
    ['the lowest log loss', 'logLoss', [c('a', { logLoss: 0.5 }), c('b', { logLoss: 0.48 })], 1, 'lowest logLoss: 0.4800 (b) vs 0.5000 (a)'],
    ['the earlier candidate on a tie', 'auc', [c('a', { auc: 0.7 }), c('b', { auc: 0.7 })], 0, 'highest auc: 0.7000 (a) vs 0.7000 (b)'],
    ['a candidate with the metric over one without', 'auc', [c('a', { auc: Number.NaN }), c('b', { auc: 0.6 })], 1, 'highest auc: 0.6000 (b) vs n/a (a)'],
    ['the first when none has the metric', 'auc', [c('a', { auc: null }), c('b', {})], 0, 'no candidate has a auc; kept the first, a'],
    ['the only candidate', 'auc', [c('a', { auc: 0.5 })], 0, 'only candidate: a'],
  ] as const)('picks %s', (_name, metric, candidates, index, reason) => {
    expect(selectCandidate([...candidates], metric)).toEqual({ index, reason });
  });
});
