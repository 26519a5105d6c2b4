/**
 * The flight-delay pipeline end to end: real dev server, real DuckDB on the real flights
 * file (a one-week window), the built-in trainer, onnxruntime, SQLite registry. Runs the
 * built-in-only variant (flight-delay-builtin); the default two-candidate pipeline is
 * covered by test/training/parallel-candidates.e2e.test.ts.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { statusQuery } from '../src/workflows/definitions';
import type { PipelineResult } from '../src/workflows/pipeline-status';
import { startHarness, type Harness } from './helpers/slipway-harness';
import { startDevServer } from './helpers/temporal-env';

const WEEK = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } };

describe('flight-delay pipeline on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let registry: SqliteModelRegistry;

  beforeAll(async () => {
    env = await startDevServer();
    h = await startHarness(env);
    registry = new SqliteModelRegistry({ path: h.config.registryPath });
  });

  afterAll(async () => {
    await registry?.close();
    await h?.close();
    await env?.teardown();
  });

  const run = async (input: unknown, workflowId = `fd-${Math.random().toString(36).slice(2)}`) => {
    const handle = await env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId, args: [input] });
    const result = (await handle.result()) as PipelineResult;
    return { result, status: await handle.query(statusQuery), handle };
  };

  let first: PipelineResult;

  it('ingests, validates, trains, evaluates, registers and promotes the first model', async () => {
    const { result, status } = await run({ pipeline: 'flight-delay-builtin', overrides: WEEK });
    first = result;
    expect(result.outcome).toBe('promoted');
    expect(result.steps.map((s) => [s.id, s.state])).toEqual([
      ['ingest', 'succeeded'],
      ['validate', 'succeeded'],
      ['train', 'succeeded'],
      ['evaluate', 'succeeded'],
      ['register', 'succeeded'],
      ['promote', 'succeeded'],
    ]);
    for (const step of result.steps) {
      expect(step.attempts).toBe(1);
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
    }
    const ingest = result.outputs.ingest.summary;
    // Nine days of March 2001 hold roughly 150k flights; the newest 20% are held out.
    expect(Number(ingest.trainRows) + Number(ingest.holdoutRows)).toBeGreaterThan(100_000);
    expect(Number(ingest.holdoutRows) / Number(ingest.trainRows)).toBeCloseTo(0.25, 1);
    const metrics = result.outputs.evaluate.summary.metrics as Record<string, number>;
    expect(metrics.auc).toBeGreaterThan(0.6);
    expect(metrics.logLoss).toBeLessThan(0.6);

    const champion = await registry.getAlias('flight-delay', 'champion');
    expect(champion?.version).toBe(1);
    expect(champion?.lineage.dataDigest).toBe(ingest.dataDigest);
    expect(champion?.lineage.specDigest).toBe(result.specDigest);
    expect(champion?.lineage.workflowId).toBe(result.workflowId);
    expect(champion?.metrics.auc).toBeCloseTo(metrics.auc, 10);
    // The model bytes behind the version are intact.
    const store = new LocalArtifactStore({ root: h.config.artifactRoot });
    await expect(store.localPath(champion!.artifact)).resolves.toMatch(/sha256/);
    // The status query answers after the run, too.
    expect(status.stage).toBe('completed');
    expect(status.steps.find((s) => s.id === 'train')?.summary?.trainer).toBe('builtin-logistic-regression');
  });

  it('rejects a weaker challenger and leaves the champion where it was', async () => {
    expect(first).toBeDefined();
    const { result } = await run({
      pipeline: 'flight-delay-builtin',
      overrides: { ...WEEK, train: { features: { numeric: ['distance'], categorical: [] } } },
    });
    expect(result.outcome).toBe('rejected');
    const evaluation = result.outputs.evaluate.summary;
    expect(evaluation.blessed).toBe(false);
    expect((evaluation.champion as { version: number }).version).toBe(1);
    expect(evaluation.reasons).toEqual(
      // The delta gate gave way to the paired test (DeLong) against the champion on the same holdout rows.
      expect.arrayContaining([expect.stringMatching(/^superiority not shown: .*auc improvement -0\.\d+/)]),
    );
    // Rejected candidates are still recorded, for lineage, but the alias does not move.
    expect(result.outputs.register.summary.version).toBe(2);
    expect((await registry.getAlias('flight-delay', 'champion'))?.version).toBe(1);
    expect(result.outputs.promote.summary).toMatchObject({ outcome: 'rejected', version: 2, championVersion: 1, reasons: evaluation.reasons });
  });

  it('fails at once on invalid input, naming every problem, and changes nothing', async () => {
    const before = await registry.listVersions('flight-delay');
    const err = await run({
      pipeline: 'flight-delay-builtin',
      overrides: { ingest: { window: { from: 'last tuesday' } }, evaluate: { gates: [{ metric: 'auroc', min: 2 }] } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('InvalidPipelineInput');
    expect(failure?.message).toContain('pipelines/flight-delay-builtin.yaml.steps[0].with.window.from: expected an ISO date');
    expect(failure?.message).toContain('pipelines/flight-delay-builtin.yaml.steps[3].with.gates[0].metric');
    expect(await registry.listVersions('flight-delay')).toEqual(before);
  });

  it('stops before training when the window holds no rows', async () => {
    const before = await registry.listVersions('flight-delay');
    const err = await run({ pipeline: 'flight-delay-builtin', overrides: { ingest: { window: { from: '2003-01-01', to: '2003-02-01' } } } }).catch((e: unknown) => e);
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('DataSourceError');
    expect(failure.message).toMatch(/window: no rows in ".*flights-3m\.parquet" from 2003-01-01 to 2003-02-01/);
    expect(await registry.listVersions('flight-delay')).toEqual(before);
    expect((await registry.getAlias('flight-delay', 'champion'))?.version).toBe(1);
  });
});
