/**
 * The default flight-delay pipeline end to end on a real dev server, nine days of March 2001:
 * the built-in and the scikit-learn gradient-boosting candidates train in parallel, both are
 * scored on the same holdout, the better one is registered with its lineage and promoted.
 * Needs the Python environment (`bash scripts/python-env.sh`, run by `make setup`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import type { EvaluationReport } from '../../src/evaluation/evaluation-report';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

// Fewer boosting rounds than the spec's 100 keep the test quick; the pipeline is otherwise as shipped.
const NINE_DAYS = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } }, 'train-gbm': { params: { maxIter: 40 } } };
const VENV_PYTHON = path.join(__dirname, '..', '..', '.venv', 'bin', 'python');

describe('flight-delay with two candidates on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let registry: SqliteModelRegistry;
  let store: LocalArtifactStore;
  let first: PipelineResult;

  beforeAll(async () => {
    if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} is missing: run "bash scripts/python-env.sh" (make setup does)`);
    env = await startDevServer();
    // The shipped trainers plus one whose interpreter is missing, as an admin might register it on a host without `make setup`.
    const trainers = path.join(await mkdtemp(path.join(os.tmpdir(), 'slipway-trainers-')), 'registry.yaml');
    const shipped = await readFile(path.join(__dirname, '..', '..', 'trainers', 'registry.yaml'), 'utf8');
    await writeFile(trainers, `${shipped}\n  sklearn-no-venv:\n    command: [.venv-missing/bin/python, trainers/sklearn/train.py, --estimator, hist-gradient-boosting, --request, "{request}"]\n`);
    h = await startHarness(env, { SLIPWAY_TRAINERS_FILE: trainers });
    registry = new SqliteModelRegistry({ path: h.config.registryPath });
    store = new LocalArtifactStore({ root: h.config.artifactRoot });
  });

  afterAll(async () => {
    await registry?.close();
    await h?.close();
    await env?.teardown();
  });

  const run = async (input: unknown): Promise<PipelineResult> => {
    const workflowId = `fd2-${Math.random().toString(36).slice(2)}`;
    const handle = await env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId, args: [input] });
    return (await handle.result()) as PipelineResult;
  };
  const step = (r: PipelineResult, id: string) => r.steps.find((s) => s.id === id)!;

  it('trains both candidates in parallel, scores them on the same holdout and carries the better one forward', async () => {
    first = await run({ pipeline: 'flight-delay', overrides: NINE_DAYS });
    expect(first.outcome).toBe('promoted');
    for (const s of first.steps) expect(['succeeded', 'cached'], s.id).toContain(s.state);

    // Fan-out: each trainer started before the other finished.
    const [a, b] = [step(first, 'train-builtin'), step(first, 'train-gbm')];
    expect(Date.parse(a.startedAt!)).toBeLessThan(Date.parse(b.endedAt!));
    expect(Date.parse(b.startedAt!)).toBeLessThan(Date.parse(a.endedAt!));
    expect(a.summary).toMatchObject({ trainer: 'builtin-logistic-regression', seed: 7 });
    expect(b.summary).toMatchObject({ trainer: 'sklearn-hist-gradient-boosting', trainerKind: 'command', seed: 7 });
    expect((b.summary?.trainMetrics as Record<string, number>).onnxMaxAbsDiff).toBeLessThan(1e-4);

    // Fan-in: the evaluate step's model is the candidate with the higher AUC.
    const evaluation = first.outputs.evaluate;
    const report = await store.readJson<EvaluationReport>(evaluation.artifacts['evaluation-report']);
    expect(report.candidates.map((c) => c.id)).toEqual(['train-builtin', 'train-gbm']);
    expect(new Set(report.candidates.map((c) => c.rows)).size).toBe(1);
    const best = report.candidates.reduce((x, y) => (y.metrics.auc > x.metrics.auc ? y : x));
    expect(report.chosen.id).toBe(best.id);
    expect(evaluation.artifacts.model.sha256).toBe(first.outputs[best.id].artifacts.model.sha256);
    for (const c of report.candidates) {
      expect(c.metrics.auc).toBeGreaterThan(0.6);
      expect(Object.keys(c.metrics)).toEqual(expect.arrayContaining(['logLoss', 'accuracy', 'f1', 'brier', 'ece', 'msPerRow', 'singleRowMs', 'modelBytes']));
      expect(c.slices.origin).toHaveLength(10);
      expect(c.roc.at(-1)).toEqual({ fpr: 1, tpr: 1 });
    }
    // Gates on the ten origin slices, each with its own formula.
    const sliceGates = report.gates.filter((g) => g.slice);
    expect(sliceGates).toHaveLength(10);
    expect(sliceGates[0].formula).toBe(`candidate.auc[origin=${report.candidates[0].slices.origin[0].value}]`);
    const page = Buffer.from(await store.readBytes(evaluation.artifacts['evaluation-page'])).toString('utf8');
    expect(page).toContain('<svg');
    // One ROC line per candidate, as Vega draws them (layer 0 is the chance diagonal); no champion yet.
    expect(page.split('<g class="mark-line role-mark layer_1_marks"').length - 1).toBe(2);

    // Reproducibility recorded with the version: the chosen trainer's lineage, not the other's.
    const champion = await registry.getAlias('flight-delay', 'champion');
    expect(champion?.artifact.sha256).toBe(evaluation.artifacts.model.sha256);
    expect(champion?.lineage).toMatchObject({
      trainer: best.trainer,
      trainStep: best.id,
      seed: 7,
      dataDigest: first.outputs.ingest.summary.dataDigest,
      specDigest: first.specDigest,
    });
    expect(champion?.lineage.trainerVersion).toBeTruthy();
    expect(champion?.params).toMatchObject({ seed: 7 });
    expect(champion?.metrics.auc).toBeCloseTo(best.metrics.auc, 10);
  }, 240_000); // two trainers and a cold Python start on a 2-core CI machine shared with other test files

  it('rejects a candidate that fails a gate on one slice, naming the slice, and scores the champion too', async () => {
    expect(first).toBeDefined();
    const busiest = (first.outputs.evaluate.summary.gates as { slice?: { value: string } }[]).find((g) => g.slice)!.slice!.value;
    const result = await run({
      pipeline: 'flight-delay',
      overrides: { ...NINE_DAYS, evaluate: { gates: [{ metric: 'auc', min: 0.99, slice: { column: 'origin', value: busiest } }] } },
    });
    expect(result.outcome).toBe('rejected');
    const evaluation = result.outputs.evaluate.summary;
    // The same data and seed as the champion: the paired test finds no improvement either (the default gate).
    expect(evaluation.reasons).toEqual([
      expect.stringMatching(new RegExp(`^candidate\\.auc\\[origin=${busiest}\\] = 0\\.\\d{4}, required >= 0\\.99$`)),
      expect.stringMatching(/^superiority not shown/),
    ]);
    const report = await store.readJson<EvaluationReport>(result.outputs.evaluate.artifacts['evaluation-report']);
    expect(report.champion?.version).toBe(1);
    expect(report.champion?.rows).toBe(report.candidates[0].rows);
    const page = Buffer.from(await store.readBytes(result.outputs.evaluate.artifacts['evaluation-page'])).toString('utf8');
    expect(page.split('<g class="mark-line role-mark layer_1_marks"').length - 1).toBe(3); // two candidates and the champion
    expect((await registry.getAlias('flight-delay', 'champion'))?.version).toBe(1);
  });

  it('says clearly when the Python environment is missing', async () => {
    const err = await run({
      pipeline: 'flight-delay',
      overrides: { ...NINE_DAYS, 'train-gbm': { ...NINE_DAYS['train-gbm'], trainer: 'sklearn-no-venv' } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('TrainingFailed');
    expect(failure.message).toMatch(/trainer command "\.venv-missing\/bin\/python" was not found/);
    expect(failure.message).toContain('make setup');
    expect(failure.message).toContain('flight-delay-builtin');
  });
});
