/**
 * The shipped binary (string label), multiclass and regression pipelines end to end on a real dev server, on vega-datasets'
 * Seattle weather: ingest → validate → train (built-in and scikit-learn, in parallel) → evaluate →
 * register → promote, with the real SQLite registry recording each version's task (and classes).
 * No canary here (each first version has nothing to canary against): task-canary.e2e.test.ts canaries
 * the next versions on a real model server.
 * Needs the Python environment (`bash scripts/python-env.sh`, run by `make setup`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import type { EvaluationReport } from '../../src/evaluation/evaluation-report';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import type { ValidationReport } from '../../src/validation/validation-report';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

// A whole pipeline with a Python trainer: minutes on a loaded 2-core CI.
const RUN_MS = 600_000;
const VENV_PYTHON = path.join(__dirname, '..', '..', '.venv', 'bin', 'python');

describe('a pipeline per task on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let registry: SqliteModelRegistry;
  let store: LocalArtifactStore;

  beforeAll(async () => {
    if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} is missing: run "bash scripts/python-env.sh" (make setup does)`);
    env = await startDevServer();
    h = await startHarness(env);
    registry = new SqliteModelRegistry({ path: h.config.registryPath });
    store = new LocalArtifactStore({ root: h.config.artifactRoot });
  });

  afterAll(async () => {
    await registry?.close();
    await h?.close();
    await env?.teardown();
  });

  const run = async (input: unknown): Promise<PipelineResult> => {
    const handle = await env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId: `task-${Math.random().toString(36).slice(2)}`, args: [input] });
    return (await handle.result()) as PipelineResult;
  };

  it('binary with a string label: a rainy day (weather == "rain"), promoted as a binary model', async () => {
    const result = await run({ pipeline: 'seattle-weather-rain' });
    expect(result.outcome).toBe('promoted');
    const report = (await store.readJson<EvaluationReport>(result.outputs.evaluate.artifacts['evaluation-report']))!;
    // Binary reports carry no task field, as before tasks existed.
    expect(report).toMatchObject({ primaryMetric: 'auc', blessed: true });
    expect(report.task).toBeUndefined();
    expect(report.candidates.map((c) => c.trainer)).toEqual(['builtin-logistic-regression', 'sklearn-logistic-regression']);
    for (const c of report.candidates) expect(c.metrics.auc).toBeGreaterThan(0.75);
    const champion = await registry.getAlias('seattle-weather-rain', 'champion');
    expect(champion?.lineage).toMatchObject({ task: 'binary', blessed: true });
    expect(champion?.artifact.sha256).toBe(result.outputs.evaluate.artifacts.model.sha256);
  }, RUN_MS);

  it('multiclass: the day\'s kind of weather, five classes, promoted with its class list', async () => {
    const result = await run({ pipeline: 'seattle-weather-multiclass' });
    expect(result.outcome).toBe('promoted');
    const validation = await store.readJson<ValidationReport>(result.outputs.validate.artifacts['validation-report']);
    expect(validation!.checks.find((c) => c.check === 'classBalance')?.status).toBe('pass');
    const report = (await store.readJson<EvaluationReport>(result.outputs.evaluate.artifacts['evaluation-report']))!;
    expect(report).toMatchObject({ task: 'multiclass', primaryMetric: 'logLoss', classes: ['drizzle', 'fog', 'rain', 'snow', 'sun'], blessed: true });
    expect(report.candidates.map((c) => c.trainer)).toEqual(['builtin-softmax-regression', 'sklearn-logistic-regression']);
    for (const c of report.candidates) expect(c.metrics.accuracy).toBeGreaterThan(0.6);

    const champion = await registry.getAlias('seattle-weather-kind', 'champion');
    expect(champion?.lineage).toMatchObject({ task: 'multiclass', classes: ['drizzle', 'fog', 'rain', 'snow', 'sun'], blessed: true });
    expect(champion?.artifact.sha256).toBe(result.outputs.evaluate.artifacts.model.sha256);
    expect(champion?.metrics.logLoss).toBeCloseTo(report.candidates.find((c) => c.id === report.chosen.id)!.metrics.logLoss, 12);
  }, RUN_MS);

  it('regression: the day\'s highest temperature, promoted with its task', async () => {
    const result = await run({ pipeline: 'seattle-weather-regression' });
    expect(result.outcome).toBe('promoted');
    const report = (await store.readJson<EvaluationReport>(result.outputs.evaluate.artifacts['evaluation-report']))!;
    expect(report).toMatchObject({ task: 'regression', primaryMetric: 'rmse', blessed: true });
    expect(report.candidates.map((c) => c.trainer)).toEqual(['builtin-ridge-regression', 'sklearn-hist-gradient-boosting']);
    expect(report.gates.filter((g) => g.slice?.column === 'weather').length).toBeGreaterThan(0);
    const champion = await registry.getAlias('seattle-weather-temp-max', 'champion');
    expect(champion?.lineage.task).toBe('regression');
    expect(champion?.lineage.classes).toBeUndefined();
    expect(champion?.metrics.rmse).toBeLessThan(4);
  }, RUN_MS);
});
