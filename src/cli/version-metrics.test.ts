import { describe, expect, it } from 'vitest';
import type { Lineage } from '../registry/model-registry';
import { comparedMetrics, headlineMetric, versionTask } from './version-metrics';

const v = (lineage: Record<string, unknown>, metrics: Record<string, number>) => ({ lineage: lineage as unknown as Lineage, params: {}, tags: {}, metrics });

describe('the metrics the CLI shows per task', () => {
  it.each([
    ['a version from before tasks (binary)', v({}, { auc: 0.81234, logLoss: 0.5 }), 'binary', 'auc 0.8123'],
    ['a multiclass version', v({ task: 'multiclass', classes: ['a', 'b', 'c'] }, { logLoss: 0.61204, accuracy: 0.8 }), 'multiclass', 'logLoss 0.6120'],
    ['a regression version', v({ task: 'regression' }, { rmse: 2.341, r2: 0.9 }), 'regression', 'rmse 2.3410'],
    ['an imported regression model', v({ imported: { task: 'regression' } }, {}), 'regression', 'rmse -'],
  ])('%s: task and headline', (_what, version, task, headline) => {
    expect(versionTask(version)).toBe(task);
    expect(headlineMetric(version)).toBe(headline);
  });

  it('compares the metrics of the versions\' tasks that some version has, in task order', () => {
    expect(comparedMetrics([v({ task: 'regression' }, { mae: 1, rmse: 2, costUsd: 3 }), v({ task: 'regression' }, { rmse: 2.5, r2: 0.8 })])).toEqual(['rmse', 'mae', 'r2']);
    expect(comparedMetrics([v({}, { auc: 0.7 }), v({ task: 'multiclass' }, { accuracy: 0.6 })])).toEqual(['auc', 'accuracy']);
    expect(comparedMetrics([v({ task: 'regression' }, {})])).toEqual(['rmse', 'mae', 'r2', 'mape']);
  });
});
