import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { InvalidPipelineInputError } from '../errors';
import { parsePipelineSpec } from './parse-spec';
import { comparisonMetricFor, primaryMetricFor } from './task-metrics';

const shipped = (name: string) => YAML.parse(readFileSync(path.join(__dirname, `../../pipelines/${name}.yaml`), 'utf8'));

function problemsOf(spec: unknown): string[] {
  try {
    parsePipelineSpec(spec);
  } catch (err) {
    if (err instanceof InvalidPipelineInputError) return err.problems;
    throw err;
  }
  throw new Error('expected InvalidPipelineInputError');
}

/** The shipped pipeline with the evaluate step's `with` patched. */
function withEvaluate(name: string, patch: Record<string, unknown>) {
  const spec = shipped(name);
  const evaluate = spec.steps.find((s: { kind: string }) => s.kind === 'evaluate');
  evaluate.with = { ...evaluate.with, ...patch };
  return { spec, index: spec.steps.indexOf(evaluate) };
}

describe('evaluate metrics per task at spec parse', () => {
  it('accepts the shipped multiclass and regression pipelines', () => {
    expect(parsePipelineSpec(shipped('seattle-weather-multiclass')).steps.map((s) => s.id)).toContain('evaluate');
    expect(parsePipelineSpec(shipped('seattle-weather-regression')).steps.map((s) => s.id)).toContain('evaluate');
  });

  it('refuses an auc gate on a regression pipeline, naming the field and the metrics it could use', () => {
    const { spec, index } = withEvaluate('seattle-weather-regression', { gates: [{ metric: 'rmse', max: 4 }, { metric: 'auc', min: 0.6 }] });
    expect(problemsOf(spec)).toEqual([
      `spec.steps[${index}].with.gates[1].metric: "auc" is not a regression metric (the label's task is regression); use one of rmse, mae, r2, mape, msPerRow, singleRowMs, modelBytes`,
    ]);
  });

  it.each([
    ['seattle-weather-multiclass', { primaryMetric: 'rmse' }, 'primaryMetric: "rmse" is not a multiclass metric'],
    ['seattle-weather-multiclass', { comparison: { metric: 'auc' } }, 'comparison.metric: "auc" is not a multiclass metric'],
    ['seattle-weather-regression', { comparison: { metric: 'logLoss' } }, 'comparison.metric: "logLoss" is not a regression metric'],
    ['seattle-weather-multiclass', { comparison: { stratify: 'day' } }, "comparison.stratify: compares AUCs within days, which needs a binary label (the label's task is multiclass)"],
    ['flight-delay-builtin', { gates: [{ metric: 'rmse', max: 1 }] }, 'gates[0].metric: "rmse" is not a binary metric'],
  ])('refuses %s with %j', (name, patch, message) => {
    const { spec, index } = withEvaluate(name, patch);
    const problems = problemsOf(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`spec.steps[${index}].with.${message}`);
  });

  it('leaves binary pipelines and their defaults as they were', () => {
    const spec = parsePipelineSpec(shipped('flight-delay-builtin'));
    expect(spec.steps[3].with).toMatchObject({ primaryMetric: 'auc', comparison: { metric: 'auc' } });
  });

  it('maps the schema defaults (auc) to each task\'s own metric', () => {
    const { spec, index } = withEvaluate('seattle-weather-regression', { primaryMetric: undefined, comparison: undefined });
    const parsed = parsePipelineSpec(JSON.parse(JSON.stringify(spec)));
    const w = parsed.steps[index].with as { primaryMetric: 'auc'; comparison: { metric: 'auc' } };
    expect(w.primaryMetric).toBe('auc');
    expect(primaryMetricFor('regression', w.primaryMetric)).toBe('rmse');
    expect(comparisonMetricFor('regression', w.comparison.metric)).toBe('mse');
    expect(primaryMetricFor('multiclass', 'auc')).toBe('logLoss');
    expect(comparisonMetricFor('multiclass', 'auc')).toBe('logLoss');
    expect(primaryMetricFor('binary', 'auc')).toBe('auc');
  });
});
