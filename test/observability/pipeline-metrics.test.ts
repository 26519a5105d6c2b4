/** Pipeline metrics as Prometheus text, and the canary verdicts the activities record. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import type { CanaryReport } from '../../src/canary/canary-state';
import { createLogger } from '../../src/logger';
import { PrometheusPipelineMetrics } from '../../src/observability/pipeline-metrics';
import type { ModelRegistry } from '../../src/registry/model-registry';
import type { StepRecords } from '../../src/step-records/step-records';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';

describe('PrometheusPipelineMetrics', () => {
  it.each([
    ['succeeded', 2.5],
    ['failed', 0.2],
    ['cached', 0.01],
    ['resumed', 0.003],
  ] as const)('counts a %s step attempt and its duration by pipeline and kind', async (outcome, seconds) => {
    const m = new PrometheusPipelineMetrics(false);
    m.stepFinished({ pipeline: 'p', kind: 'train', outcome, seconds });
    const text = await m.registry.metrics();
    expect(text).toContain(`slipway_step_attempts_total{pipeline="p",kind="train",outcome="${outcome}"} 1`);
    expect(text).toContain(`slipway_step_duration_seconds_sum{pipeline="p",kind="train",outcome="${outcome}"} ${seconds}`);
  });
});

describe('drift metrics', () => {
  it('keeps the latest drifted share of a model’s batch and its limit, per pipeline', async () => {
    const m = new PrometheusPipelineMetrics(false);
    m.driftMeasured({ pipeline: 'churn-served', model: 'churn', share: 0.25, limit: 0.5 });
    m.driftMeasured({ pipeline: 'churn-served', model: 'churn', share: 0.75, limit: 0.5 });
    const text = await m.registry.metrics();
    expect(text).toContain('slipway_validation_drift_share{pipeline="churn-served",model="churn"} 0.75');
    expect(text).toContain('slipway_validation_drift_share_limit{pipeline="churn-served",model="churn"} 0.5');
  });
});

describe('canary metrics', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-canary-metrics-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

  it('records the verdict and every step analysis when the canary report is written', async () => {
    const metrics = new PrometheusPipelineMetrics(false);
    const activities = createActivities({
      logger: createLogger('error'),
      store: new LocalArtifactStore({ root: dir }),
      registry: {} as ModelRegistry,
      stepRecords: {} as StepRecords,
      pipelinesDir: dir,
      duckdbThreads: 1,
      dataRoots: { roots: [os.tmpdir()], ...SOURCE_LIMIT_DEFAULTS },
      metrics,
    });
    const report = {
      model: 'flight-delay',
      verdict: 'rolled-back',
      steps: [{ analysis: { verdict: 'pass' } }, { analysis: { verdict: 'fail' } }, {}],
    } as unknown as CanaryReport;
    const ref = (await new MockActivityEnvironment().run(activities.canaryWriteReport, report)) as { name: string };
    expect(ref.name).toBe('canaryReport');
    const text = await metrics.registry.metrics();
    expect(text).toContain('slipway_canary_verdicts_total{model="flight-delay",verdict="rolled-back"} 1');
    expect(text).toContain('slipway_canary_analyses_total{model="flight-delay",verdict="pass"} 1');
    expect(text).toContain('slipway_canary_analyses_total{model="flight-delay",verdict="fail"} 1');
  });
});
