import { describe, expect, it } from 'vitest';
import { evaluateParamsSchema, recentComparisonSchema } from '../pipeline/step-params';
import { comparePaired } from './paired-gate';
import { compared, recentComparisonSpec, tooFewLabels } from './recent-gate';

const served = { model: 'm', window: '7 days', from: '2026-01-01T00:00:00.000Z', to: '2026-01-08T00:00:00.000Z' };

describe('recent-traffic gate', () => {
  it('defaults to blocking on fewer than 100 labels, and parses absent as no recent gate', () => {
    expect(recentComparisonSchema.parse({ served: { window: '7 days' } })).toEqual({ served: { window: '7 days' }, minLabels: 100, onTooFewLabels: 'block' });
    expect(evaluateParamsSchema.parse({}).recent).toBeUndefined();
  });

  it.each([
    ['a window that is no duration', { served: { window: 'soon' } }, ['recent', 'served', 'window']],
    ['a window longer than ten years (no date to start from)', { served: { window: '99999999999w' } }, ['recent', 'served', 'window']],
    ['minLabels below 2', { served: { window: '1 day' }, minLabels: 1 }, ['recent', 'minLabels']],
    ['an unknown rule', { served: { window: '1 day' }, onTooFewLabels: 'pass' }, ['recent', 'onTooFewLabels']],
    ['an unknown field', { served: { window: '1 day' }, labels: 5 }, ['recent']],
  ])('refuses %s, naming the field', (_what, recent, where) => {
    const parsed = evaluateParamsSchema.safeParse({ recent });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0].path).toEqual(where);
  });

  it('takes the holdout comparison\'s test without stratify, its own fields over it, and the defaults when the holdout comparison is off', () => {
    const recent = recentComparisonSchema.parse({ served: { window: '1 day' } });
    const holdout = evaluateParamsSchema.parse({ comparison: { test: 'non-inferiority', margin: 0.01, stratify: 'day' } });
    expect(recentComparisonSpec(holdout, recent)).toEqual({ metric: 'auc', test: 'non-inferiority', margin: 0.01, alpha: 0.05 });
    const own = recentComparisonSchema.parse({ served: { window: '1 day' }, comparison: { metric: 'logLoss', alpha: 0.01 } });
    expect(recentComparisonSpec(holdout, own)).toEqual({ metric: 'logLoss', test: 'non-inferiority', margin: 0.01, alpha: 0.01 });
    expect(recentComparisonSpec(evaluateParamsSchema.parse({ comparison: 'off' }), recent)).toEqual({ metric: 'auc', test: 'superiority', margin: 0, alpha: 0.05 });
  });

  it('blocks the blessing on too few labels by default and says so; skip lets it through and says so', () => {
    const block = tooFewLabels(recentComparisonSchema.parse({ served: { window: '7 days' } }), served, 12);
    expect(block).toMatchObject({ outcome: 'blocked', passed: false, labelled: 12, minLabels: 100 });
    expect(block.reason).toBe('recent served traffic: 12 labelled rows of model "m" in the last 7 days, fewer than minLabels 100; not blessed without that evidence (onTooFewLabels: block)');
    const skip = tooFewLabels(recentComparisonSchema.parse({ served: { window: '7 days' }, onTooFewLabels: 'skip' }), served, 1);
    expect(skip).toMatchObject({ outcome: 'skipped', passed: true, labelled: 1 });
    expect(skip.reason).toMatch(/1 labelled row of .*comparison skipped \(onTooFewLabels: skip\)$/);
  });

  it('carries the paired test\'s verdict: a candidate worse on the recent rows fails, the same model passes non-inferiority', () => {
    const labels = Uint8Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const champion = Float32Array.from(labels, (y, i) => (y ? 0.6 : 0.4) + ((i * 37) % 10) / 100);
    const candidate = Float32Array.from({ length: 200 }, (_, i) => ((i * 7919) % 200) / 200);
    const recent = recentComparisonSchema.parse({ served: { window: '7 days' } });
    const spec = recentComparisonSpec(evaluateParamsSchema.parse({}), recent);
    const worse = compared(recent, served, comparePaired(spec, candidate, champion, labels, 0.5));
    expect(worse).toMatchObject({ outcome: 'compared', passed: false, labelled: 200 });
    expect(worse.comparison!.improvement).toBeLessThan(0);
    expect(worse.reason).toMatch(/^recent served traffic \(200 labelled rows of model "m", last 7 days\): superiority not shown/);
    const same = compared(recent, served, comparePaired({ ...spec, test: 'non-inferiority', margin: 0.01 }, champion, champion, labels, 0.5));
    expect(same).toMatchObject({ passed: true, comparison: { improvement: 0, pValue: 0 } });
  });
});
