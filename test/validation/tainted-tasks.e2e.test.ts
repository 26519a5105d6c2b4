/**
 * Tainted data for multiclass and regression labels through the real pipeline on the real dev
 * server, on vega-datasets' Seattle weather (the kind of weather; the day's highest temperature).
 * A champion is trained on a year from April 2013; then batches of later days are validated against it:
 * clean windows must pass (no false alarm), and poisoned copies (labels moved across the batch,
 * inside one month, or paired with a trigger value) must stop at validation with the batch
 * quarantined, nothing trained or registered and the champion unchanged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { statusQuery } from '../../src/workflows/definitions';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { runExpectingQuarantine } from '../support/expect-quarantine';
import { startDevServer } from '../helpers/temporal-env';
import { TRIGGER_WIND, writePoisonedWeather, type WeatherPoison } from './poisoned-weather';

type Task = 'multiclass' | 'regression';
const MODELS: Record<Task, string> = { multiclass: 'weather-kind-tainted', regression: 'weather-temp-tainted' };
/**
 * The champion's year starts in April 2013: before that the source labelled many dry days "rain" or
 * "drizzle" (a change of labelling that labelConsistency reports, rightly, against a champion
 * trained across it).
 */
const CHAMPION_WINDOW = { from: '2013-04-01', to: '2014-04-01' };
/** Clean windows after the champion's: a year each, so every window has every season. */
const CLEAN_WINDOWS = [
  { from: '2014-04-01', to: '2015-04-01' },
  { from: '2014-07-01', to: '2015-07-01' },
  { from: '2015-01-01', to: '2016-01-01' },
];
/** The poisoned batches: the first clean window's days. */
const BATCH = CLEAN_WINDOWS[0];
const RUN_MS = 240_000;

/**
 * Small batches (a year of days): slices of 30 days, confident sets of 50, triggers on 10 days. Weather
 * comes in spells, so the floors are set from the clean windows here (measured against this champion):
 * - multiclass: a class's share in one month moves by up to 0.46 (January 2015: 15 days of fog, 2 of
 *   sun, where the champion expected about half sun), so the slice floor is 0.5;
 * - regression: a month's mean residual moves by up to 1.25 holdout sd (January 2015), so the slice floor
 *   is 1.5 sd; the holdout (January–March 2014, 91 days) puts its 0.99 residual quantile where 4.5–6.6% of a
 *   clean year's days fall (×4.5–×6.6), so the tail check fails only beyond ×10. The global shift reaches
 *   0.92 sd against the default floor of 1.
 */
const POISONING = {
  minSliceRows: 30,
  minSliceRateDifference: 0.5,
  minConfidentRows: 50,
  trigger: { minRows: 10 },
  regression: { minSliceShift: 1.5, maxTailRatio: 10 },
};

function spec(task: Task, file: string, window: { from: string; to: string }, validateOnly = false) {
  const multiclass = task === 'multiclass';
  const features = multiclass
    ? [
        { name: 'precipitation', column: 'precipitation', transform: 'double' },
        { name: 'temp_max', column: 'temp_max', transform: 'double' },
        { name: 'temp_min', column: 'temp_min', transform: 'double' },
        { name: 'wind', column: 'wind', transform: 'double' },
        { name: 'month', column: 'date', transform: 'month' },
      ]
    : [
        { name: 'precipitation', column: 'precipitation', transform: 'double' },
        { name: 'temp_min', column: 'temp_min', transform: 'double' },
        { name: 'wind', column: 'wind', transform: 'double' },
        { name: 'month', column: 'date', transform: 'month' },
        { name: 'weather', column: 'weather' },
      ];
  const train = multiclass
    ? { trainer: 'builtin', features: { numeric: ['precipitation', 'temp_max', 'temp_min', 'wind'], categorical: ['month'] }, params: { epochs: 200, batchSize: 64, l2: 0.0001, seed: 3 } }
    : { trainer: 'builtin', features: { numeric: ['precipitation', 'temp_min', 'wind'], categorical: ['month', 'weather'] }, params: { l2: 0.0001 } };
  const steps = [
    {
      id: 'ingest',
      kind: 'ingest',
      with: {
        source: { path: file },
        timeColumn: 'date',
        window,
        features,
        label: multiclass ? { name: 'label', column: 'weather', task: 'multiclass' } : { name: 'label', column: 'temp_max', task: 'regression' },
        split: { strategy: 'time', holdoutFraction: 0.25 },
      },
    },
    {
      id: 'validate',
      kind: 'validate',
      dependsOn: ['ingest'],
      // Seattle's record temperatures with room, as the shipped pipelines pin them; precipitation is heavy-tailed
      // (a wet year has rain beyond a dry year's fences), so its outliers warn.
      with: {
        minRows: 100,
        poisoning: POISONING,
        severity: { outliers: 'warn' },
        schema: { columns: { month: { drift: false }, [multiclass ? 'temp_max' : 'label']: { min: -20, max: 45 }, precipitation: { min: 0, max: 150 } } },
      },
    },
    ...(validateOnly
      ? []
      : [
          { id: 'train', kind: 'train', dependsOn: ['validate'], with: train },
          { id: 'evaluate', kind: 'evaluate', dependsOn: ['train'], with: { primaryMetric: multiclass ? 'logLoss' : 'rmse', firstRun: 'pass' } },
          { id: 'register', kind: 'register', dependsOn: ['evaluate'] },
          { id: 'promote', kind: 'promote', dependsOn: ['register'] },
        ]),
  ];
  return { name: `weather-tainted-${task}`, model: MODELS[task], maxParallel: 1, steps };
}

describe('tainted multiclass and regression labels are stopped and quarantined before training (real dev server)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let governance: Governance;
  let dir: string;
  const file = (name: string) => path.join(dir, `${name}.parquet`);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-tainted-tasks-'));
    env = await startDevServer();
    h = await startHarness(env);
    governance = await openGovernance(h.config);
  });

  afterAll(async () => {
    await governance?.close();
    await h?.close();
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const start = (input: unknown) =>
    env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId: `tainted-task-${Math.random().toString(36).slice(2)}`, args: [input] });

  /** Runs a poisoned batch that must stop at validation: nothing trained or registered, champion unchanged, batch quarantined. */
  async function mustQuarantine(task: Task, name: string, poison: WeatherPoison): Promise<ApplicationFailure> {
    const { failure } = await runExpectingQuarantine(governance, MODELS[task], async () => start({ spec: spec(task, await writePoisonedWeather(file(`${task}-${name}`), poison), BATCH) }));
    return failure;
  }

  describe.each(['multiclass', 'regression'] as const)('%s', (task) => {
    it('trains a champion on April 2013 – March 2014', async () => {
      const result = (await (await start({ spec: spec(task, await writePoisonedWeather(file(`${task}-clean`), { kind: 'clean' }), CHAMPION_WINDOW) })).result()) as PipelineResult;
      expect(result.outcome).toBe('promoted');
    }, RUN_MS);

    it.each(CLEAN_WINDOWS)('passes the clean window $from .. $to against the champion (no false alarm)', async (window) => {
      const handle = await start({ spec: spec(task, file(`${task}-clean`), window, true) });
      await handle.result();
      const validate = (await handle.query(statusQuery)).steps.find((s) => s.id === 'validate')!.summary!;
      expect(validate).toMatchObject({ passed: true, poisoning: { basis: 'champion' } });
      expect(validate.findings).toBeUndefined();
    }, RUN_MS);
  });

  it('multiclass: stops 60% of the rainy days relabelled "sun" across the batch', async () => {
    const failure = await mustQuarantine('multiclass', 'global', { kind: 'rainToSun', share: 0.6 });
    expect(failure.message).toMatch(/labelConsistency\(label=rain\) \(global\): share [\d.]+% where the champion's probabilities expect [\d.]+%/);
  }, RUN_MS);

  it('multiclass: stops every rainy day of four months relabelled "sun", naming the slice', async () => {
    const failure = await mustQuarantine('multiclass', 'months', { kind: 'rainToSun', share: 1, months: [10, 11, 12, 1] });
    expect(failure.message).toMatch(/labelConsistency\((month|precipitation|temp_max|temp_min|wind)\): slice [^\n]+ has [\d.]+% of class "(rain|sun)" where the champion's probabilities \(scaled to this batch\) expect [\d.]+%, ratio [\d.]+ over [\d,]+ rows, p = /);
  }, RUN_MS);

  it('multiclass: stops a trigger wind speed on 5% of days paired with "snow"', async () => {
    const failure = await mustQuarantine('multiclass', 'trigger', { kind: 'trigger', share: 0.05 });
    expect(failure.message).toMatch(new RegExp(`triggerPatterns\\(wind\\): wind = ${TRIGGER_WIND} is on [\\d.]+% of rows \\([\\d,]+\\), a value none of the reference's [\\d,]+ rows has, and 100% of its rows are class "snow"`));
  }, RUN_MS);

  it('regression: stops every day\'s highest temperature raised by 5 °C', async () => {
    const failure = await mustQuarantine('regression', 'global', { kind: 'shiftTemp', share: 1, shift: 5 });
    expect(failure.message).toMatch(/labelConsistency\(label\) \(global\): mean residual \(target − the champion's predictions\) [-\d.]+ where the champion's holdout had [-\d.]+, a shift of [\d.]+ holdout sd/);
  }, RUN_MS);

  it('regression: stops the highest temperatures of two months lowered by 8 °C, naming the slice', async () => {
    const failure = await mustQuarantine('regression', 'months', { kind: 'shiftTemp', share: 1, shift: -8, months: [6, 7] });
    expect(failure.message).toMatch(/labelConsistency\(month\): slice month = [67] has mean residual \(target − the champion's predictions\) -[\d.]+ where the batch has [-\d.]+, a shift of -[\d.]+ sd/);
  }, RUN_MS);

  it('regression: stops a trigger wind speed on 5% of days paired with 35 °C', async () => {
    const failure = await mustQuarantine('regression', 'trigger', { kind: 'trigger', share: 0.05 });
    expect(failure.message).toMatch(new RegExp(`triggerPatterns\\(wind\\): wind = ${TRIGGER_WIND} is on [\\d.]+% of rows \\([\\d,]+\\), a value none of the reference's [\\d,]+ rows has, and its targets are near-constant at 35`));
  }, RUN_MS);
});
