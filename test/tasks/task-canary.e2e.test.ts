/**
 * Multiclass and regression models through the whole lifecycle on real parts (binary is the flight
 * tests'): the shipped seattle-weather pipelines, sent inline with a canary step between register
 * and promote (as `slipway run -f` sends a file), on a real Temporal dev server, a real model server
 * process and real replayed days of Seattle weather whose true class / true temperature is posted
 * as feedback. A first version is promoted and deployed; a second (good) one is canaried on live
 * traffic and promoted; a bad one, blessed offline by loose gates, is rolled back by the canary's
 * live per-task check, and neither the champion nor the traffic split moves.
 * Needs the Python environment (`bash scripts/python-env.sh`, run by `make setup`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { CanaryReport } from '../../src/canary/canary-state';
import { parsePipelineSpec } from '../../src/pipeline/parse-spec';
import type { CanarySummary } from '../../src/pipeline/step-summaries';
import type { IngestParams } from '../../src/pipeline/step-params';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { loadPipelineTraffic, repeatTraffic } from '../../tools/pipeline-traffic';
import { replayTraffic, type ReplayReport, type Traffic } from '../../tools/replay-traffic';
import { useCanaryWorld } from '../serving/canary-fixtures';
import { call, LABELER_TOKEN } from '../serving/serving-fixtures';

const PIPELINES = path.join(__dirname, '..', '..', 'pipelines');
// Two pipelines with a Python trainer per test: minutes on a loaded 2-core CI (as task-pipelines.e2e.test.ts).
const RUN_MS = 600_000;
// Sequential holds look every 3 s and decide as soon as the sample allows; on a loaded CI a step waits
// up to a minute for its labels instead of calling one short interval inconclusive.
// When a pass meant only "no harm shown with the minimum sample", the bad multiclass candidate (log loss 1.32 vs
// 0.68) passed at 30 labels each on a quiet machine and at 100 on a faster one (2026-12-07: 1 CI run of 2). A pass
// now also needs the estimated worsening within the margin (src/canary/ARCHITECTURE.md): the step holds until the
// interval shows the harm, whatever the minimum.
const CANARY = { steps: [50, 100], interval: '3s', analysis: { minRequests: 20, minLabels: 100 }, hold: { maxDuration: '60s' }, decisionTimeout: '1 minute' };
// The holdout period (the last quarter of 2012–2015 by time): days the models did not train on.
const HOLDOUT_FROM = '2015-01-01';

type RawStep = { id: string; kind: string; dependsOn?: string[]; with?: Record<string, unknown> };
type RawSpec = { name: string; model: string; steps: RawStep[] };

/**
 * What differs per task: the good candidate's trainer params (new models, same recipe), and the bad
 * candidate: the built-in trainer alone with the strongest L2 the spec allows (100), which shrinks it
 * to the class priors / the mean temperature. Loose offline gates (and no paired comparison) bless it,
 * as a team relaxing its offline checks might; the live canary must stop it.
 */
const TASKS = [
  {
    task: 'multiclass',
    pipeline: 'seattle-weather-multiclass',
    good: { 'train-builtin': { params: { seed: 4 } }, 'train-sklearn': { params: { seed: 4, C: 0.5 } } },
    badGates: [{ metric: 'logLoss', max: 5 }],
    liveChecks: ['liveLogLoss', 'liveAccuracy'],
    isLabel: (y: unknown) => typeof y === 'string' && ['drizzle', 'fog', 'rain', 'snow', 'sun'].includes(y),
  },
  {
    task: 'regression',
    pipeline: 'seattle-weather-regression',
    // A retrain of the same recipe is about as good as its champion; on 366 holdout days the shipped MSE margin (0.5)
    // cannot show that at 95%, so the paired test gets the widest the spec allows (1) and the live canary judges it.
    good: { 'train-builtin': { params: { l2: 0.0002 } }, 'train-sklearn': { params: { seed: 4, maxIter: 80 } }, evaluate: { comparison: { metric: 'mse', test: 'non-inferiority', margin: 1, alpha: 0.05 } } },
    badGates: [{ metric: 'rmse', max: 50 }],
    liveChecks: ['liveMae'],
    isLabel: (y: unknown) => typeof y === 'number' && Number.isFinite(y),
  },
] as const;

const cw = useCanaryWorld();

function shipped(pipeline: string): RawSpec {
  return YAML.parse(readFileSync(path.join(PIPELINES, `${pipeline}.yaml`), 'utf8')) as RawSpec;
}

/** The shipped pipeline with a canary step between register and promote, and per-step `with` patches. */
function withCanary(spec: RawSpec, canary: Record<string, unknown> = CANARY): RawSpec {
  const steps = spec.steps.flatMap((s): RawStep[] =>
    s.kind === 'register'
      ? [s, { id: 'canary', kind: 'canary', dependsOn: [s.id], with: canary }]
      : s.kind === 'promote'
        ? [{ ...s, dependsOn: ['canary'] }]
        : [s],
  );
  return { ...spec, steps };
}

/** The bad candidate's spec: only the built-in trainer, at L2 100; loose gates, no paired comparison. */
function badSpec(spec: RawSpec, gates: readonly unknown[]): RawSpec {
  // The score-shift check would flag this model too; out of its reach here, the live per-task check has to stop it.
  const canary = { ...CANARY, analysis: { ...CANARY.analysis, maxPsi: 1000 } };
  const steps = withCanary(spec, canary).steps.flatMap((s): RawStep[] => {
    if (s.id === 'train-sklearn') return [];
    if (s.id === 'train-builtin') return [{ ...s, with: { ...s.with, params: { ...(s.with?.params as object), l2: 100 } } }];
    if (s.kind === 'evaluate') return [{ ...s, dependsOn: ['train-builtin'], with: { ...s.with, gates, comparison: 'off' } }];
    return [s];
  });
  return { ...spec, steps };
}

function run(spec: RawSpec, id: string, overrides?: Record<string, unknown>): Promise<PipelineResult> {
  return cw().env.client.workflow.execute('pipeline', { taskQueue: cw().harness.config.taskQueue, workflowId: id, args: [{ spec, ...(overrides && { overrides }) }] });
}

/** Runs a pipeline while the holdout days are replayed (at 100/s, each day's truth posted as feedback). */
async function runWithTraffic(model: string, traffic: Traffic, spec: RawSpec, id: string, overrides?: Record<string, unknown>): Promise<{ result: PipelineResult; replay: ReplayReport }> {
  const controller = new AbortController();
  const replay = replayTraffic({ baseUrl: cw().base, model, traffic, rate: 100, feedbackDelayMs: 300, labelerToken: LABELER_TOKEN, callers: 200, signal: controller.signal });
  const result = await run(spec, id, overrides).finally(() => controller.abort());
  return { result, replay: await replay };
}

/**
 * Every prediction answered, bar a few a loaded CI loses (shed by the server's admission limit: 503; or
 * timed out in the client: error), and every label taken: the feedback route accepted the task's label type.
 */
function expectServed(replay: ReplayReport): void {
  expect(Object.keys(replay.statuses).filter((s) => s !== '200' && s !== '503' && s !== 'error'), JSON.stringify(replay)).toEqual([]);
  expect(replay.statuses['200'], JSON.stringify(replay)).toBeGreaterThan(0.95 * replay.sent);
  expect(Object.keys(replay.feedback.statuses).filter((s) => s !== '200' && s !== 'error'), JSON.stringify(replay)).toEqual([]);
  expect(replay.feedback.statuses['200'], JSON.stringify(replay)).toBeGreaterThan(0.95 * replay.feedback.sent);
}

const weights = async (model: string) =>
  Object.fromEntries(((await call(cw().base, 'GET', `/admin/v1/models/${model}/deployment`)).body.versions as { version: number; weight: number }[]).map((v) => [v.version, v.weight]));

async function canaryReport(result: PipelineResult): Promise<CanaryReport> {
  return cw().world.store.readJson<CanaryReport>(result.outputs.canary.artifacts.canaryReport);
}

describe.each(TASKS)('a $task model canaried on the real model server', (t) => {
  const spec = shipped(t.pipeline);
  const model = spec.model;
  let traffic: Traffic;

  it('promotes a first version without a canary, then canaries a second on live days with true labels and promotes it', async () => {
    const ingest = parsePipelineSpec(spec).steps.find((s) => s.kind === 'ingest')!.with as IngestParams;
    const days = await loadPipelineTraffic({ ingest, from: HOLDOUT_FROM });
    expect(days.rows.length).toBeGreaterThan(300);
    expect(days.labels.every(t.isLabel)).toBe(true);
    expect(Object.keys(days.rows[0]).sort()).toEqual(ingest.features.map((f) => f.name).sort());
    // Long enough to outlast any canary; the replay stops when the pipeline ends.
    traffic = repeatTraffic(days, 100);

    const first = await run(withCanary(spec), `${t.task}-canary-1`);
    expect(first.steps.find((s) => s.id === 'canary')!.summary).toMatchObject({ canaryVerdict: 'skipped' });
    expect(first.outcome).toBe('promoted');
    expect(await weights(model)).toEqual({ 1: 100 });

    const { result: second, replay } = await runWithTraffic(model, traffic, withCanary(spec), `${t.task}-canary-2`, t.good);
    const canary = second.steps.find((s) => s.id === 'canary')!.summary!;
    expect(canary).toMatchObject({ canaryVerdict: 'passed', candidate: 2, champion: 1 });
    expect(canary.steps).toEqual([
      { weight: 50, verdict: 'pass', decision: null },
      { weight: 100, verdict: 'pass', decision: null },
    ]);
    // Live quality of the task's own kind was judged on the posted labels, and passed.
    const report = await canaryReport(second);
    const judged = report.steps[0].analysis!.checks.filter((c) => (t.liveChecks as readonly string[]).includes(c.name));
    expect(judged.map((c) => [c.name, c.verdict])).toEqual(t.liveChecks.map((n) => [n, 'pass']));
    console.info(`${t.task} good canary, step 1: ${judged.map((c) => `${c.name}: ${c.message}`).join(' | ')}`);
    expect(second.outcome).toBe('promoted');
    expect((await cw().world.registry.getAlias(model, 'champion'))?.version).toBe(2);
    expect(await weights(model)).toEqual({ 2: 100, 1: 0 });
    expectServed(replay);
    expect(Number(replay.versions['2'])).toBeGreaterThan(0);
  }, RUN_MS);

  it('rolls back a bad candidate on its live per-task check: champion and traffic split unchanged', async () => {
    const before = await weights(model);
    const champion = await cw().world.registry.getAlias(model, 'champion');
    const { result, replay } = await runWithTraffic(model, traffic, badSpec(spec, t.badGates), `${t.task}-canary-bad`);

    // Blessed offline (the loose gates let it through), so only the canary stood in its way.
    expect(result.steps.find((s) => s.id === 'register')!.summary).toMatchObject({ version: 3, blessed: true });
    const canary = result.outputs.canary.summary as CanarySummary;
    expect(canary).toMatchObject({ canaryVerdict: 'rolled-back', candidate: 3, champion: 2 });
    const report = await canaryReport(result);
    const failed = report.steps.at(-1)!.analysis!.checks.filter((c) => c.verdict === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    for (const c of failed) {
      expect(t.liveChecks).toContain(c.name);
      // Worse than the champion live: lower accuracy, higher log loss or MAE.
      if (c.name === 'liveAccuracy') expect(c.canary!).toBeLessThan(c.baseline!);
      else expect(c.canary!).toBeGreaterThan(c.baseline!);
    }
    console.info(`${t.task} bad canary rolled back: ${canary.reasons.join(' | ')}`);
    expect(canary.reasons.join('\n')).toMatch(new RegExp(`^(${t.liveChecks.join('|')}): live`, 'm'));
    expect(result.steps.find((s) => s.id === 'promote')!.summary).toMatchObject({ outcome: 'rejected', canary: 'rolled-back' });
    expect(result.outcome).toBe('rejected');

    expect(await cw().world.registry.getAlias(model, 'champion')).toEqual(champion);
    // The champion keeps all traffic; the rolled-back candidate stays loaded at 0 (a canary deploys only the pair).
    expect(before[2]).toBe(100);
    expect(await weights(model)).toEqual({ 2: 100, 3: 0 });
    expectServed(replay);
    expect(Number(replay.versions['3'])).toBeGreaterThan(0);
  }, RUN_MS);
});
