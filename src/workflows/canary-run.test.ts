import { describe, expect, it } from 'vitest';
import type { StepMeasurement, VersionWindow } from '../canary/analysis';
import { parseCanaryInput } from '../canary/canary-input';
import { holdPlan } from '../canary/sequential-hold';
import { CanaryRun, type CanaryAction } from './canary-run';

const MIN = 60_000;
const spread = (n: number) => Array.from({ length: 20 }, (_, i) => Math.round((n * (i < 10 ? 1 : 3)) / 40));
const window = (over: Partial<VersionWindow> = {}): VersionWindow => ({
  version: 1, requests: 400, errors: 0, errorRate: 0, p99Ms: 4, p90Ms: 3, p50Ms: 1, scoreCounts: spread(400), labels: 300, positives: 60, auc: 0.7, accuracy: 0.8, ...over,
});
const measured = (canary: Partial<VersionWindow> = {}, champion: Partial<VersionWindow> = {}): { measurement: StepMeasurement } => {
  const c = window({ version: 2, ...canary });
  const b = window(champion);
  return { measurement: { from: 'a', to: 'b', serverStartedAt: 's1', step: { champion: b, canary: c }, cumulative: { champion: b, canary: c } } };
};
const healthy = measured();
const failing = measured({ errors: 200, errorRate: 0.5 });
const tooLittle = measured({ requests: 5, scoreCounts: spread(5) });

/** A canary with fixed holds of 5 minutes (as before sequential holds), unless `params` says otherwise. */
function canary(params: Record<string, unknown> = {}, champion: number | null = 1): CanaryRun {
  return new CanaryRun(parseCanaryInput({ model: 'm', candidate: 2, champion, params: { steps: [10, 50, 100], interval: '5 minutes', hold: { mode: 'fixed' }, ...params } }), 0);
}

/** Sets traffic for the step `action` asks for, then looks once after the hold; answers the look's analysis. */
function hold(run: CanaryRun, action: CanaryAction, look: ReturnType<typeof measured> | { error: string }, at: number) {
  expect(action.type).toBe('shift');
  run.stepStarted(at, 's1');
  run.holdWith(undefined);
  expect(run.waitMs(at)).toBe(5 * MIN);
  return run.looked(look, at + 5 * MIN);
}

describe('CanaryRun: the traffic steps', () => {
  it('skips a canary without a champion, touching no traffic', () => {
    expect(canary({}, null).begin()).toEqual({ type: 'finish', verdict: 'skipped', reasons: ['no champion to compare with: the first version is promoted without a canary'] });
  });

  it('goes through every step in order and passes when each analysis passes', () => {
    const run = canary();
    let action = run.begin();
    const weights: number[] = [];
    for (let at = 0; action.type === 'shift'; at += 10 * MIN) {
      weights.push(action.weight);
      action = run.analysed(hold(run, action, healthy, at)!);
    }
    expect(weights).toEqual([10, 50, 100]);
    expect(action).toEqual({ type: 'finish', verdict: 'passed', reasons: [] });
    expect(run.state.status().steps.map((s) => s.analysis?.verdict)).toEqual(['pass', 'pass', 'pass']);
  });

  it('rolls back at once when a step fails, with the analysis reasons', () => {
    const run = canary();
    const action = run.analysed(hold(run, run.begin(), failing, 0)!);
    expect(action).toMatchObject({ type: 'roll-back', verdict: 'rolled-back' });
    expect((action as { reasons: string[] }).reasons.join()).toMatch(/errorRate/);
  });

  it('rolls back when the model server refuses a step, naming the weight', () => {
    const run = canary();
    run.begin();
    expect(run.trafficRefused('connection refused')).toEqual({ type: 'roll-back', verdict: 'rolled-back', reasons: ['the model server did not take the canary at 10%: connection refused'] });
  });

  it('treats a step without figures as inconclusive (never a pass) and asks for a decision with the default timeout rule', () => {
    const run = canary({ decisionTimeout: '30 minutes' });
    const analysis = hold(run, run.begin(), { error: 'model server unreachable' }, 0)!;
    expect(analysis).toEqual({ verdict: 'inconclusive', checks: [], reasons: ['measurement: model server unreachable'] });
    expect(run.analysed(analysis)).toEqual({ type: 'await-decision', gateId: 'step-1', timeoutMs: 30 * MIN, onTimeout: 'reject', reasons: ['measurement: model server unreachable'] });
    expect(run.state.status().stage).toBe('awaiting-decision');
  });

  it('continues past an approved inconclusive step, and rolls back a rejected one with both reasons', () => {
    const approved = canary({ onDecisionTimeout: 'continue' });
    const ask = approved.analysed(hold(approved, approved.begin(), tooLittle, 0)!);
    expect(ask).toMatchObject({ type: 'await-decision', onTimeout: 'approve' });
    expect(approved.decided({ decision: 'approved', by: 'alice', reason: 'quiet hour', at: 't' })).toEqual({ type: 'shift', step: 2, weight: 50 });
    expect(approved.state.status().steps[0].decision).toEqual({ decision: 'approved', by: 'alice', reason: 'quiet hour', at: 't' });

    const rejected = canary();
    const reasons = (rejected.analysed(hold(rejected, rejected.begin(), tooLittle, 0)!) as { reasons: string[] }).reasons;
    expect(rejected.decided({ decision: 'rejected', by: 'timeout', reason: 'no decision in time', at: 't' })).toEqual({
      type: 'roll-back',
      verdict: 'rolled-back',
      reasons: [...reasons, 'rejected by timeout: no decision in time'],
    });
  });

  it('rolls back as aborted once aborted, before any further step; the first abort counts', () => {
    const run = canary();
    const first = run.begin();
    run.abort('bob', 'pager went off');
    run.abort('carol', 'later');
    expect(run.abortedWhileWaiting()).toEqual({ type: 'roll-back', verdict: 'aborted', reasons: ['aborted by bob: pager went off'] });
    // A step that passed just as the abort came in does not lead to the next step either.
    expect(run.analysed(hold(run, first, healthy, 0)!)).toEqual({ type: 'roll-back', verdict: 'aborted', reasons: ['aborted by bob: pager went off'] });
  });

  it('rolls back as aborted when aborted before the first step', () => {
    const run = canary();
    run.abort('bob', 'wrong model');
    expect(run.begin()).toEqual({ type: 'roll-back', verdict: 'aborted', reasons: ['aborted by bob: wrong model'] });
  });

  it('rolls back when cancelled', () => {
    expect(canary().cancelled()).toEqual({ type: 'roll-back', verdict: 'aborted', reasons: ['the canary was cancelled'] });
  });
});

describe('CanaryRun: sequential holds', () => {
  const plan = holdPlan(5 * MIN, { alpha: 0.05 });

  it('holds again while the server gives no figures, until the hold\'s maximum duration', () => {
    const run = canary({ hold: { mode: 'sequential' } });
    run.begin();
    run.stepStarted(0, 's1');
    run.holdWith(plan);
    expect(run.looked({ error: 'unreachable' }, 5 * MIN)).toBeUndefined();
    expect(run.state.status().stage).toBe('holding');
    expect(run.looks).toBe(1);
    expect(run.looked({ error: 'unreachable' }, plan.maxMs)).toMatchObject({ verdict: 'inconclusive' });
  });

  it('decides a step as soon as a look has the evidence, and records each look', () => {
    const run = canary({ hold: { mode: 'sequential' } });
    run.begin();
    run.stepStarted(0, 's1');
    run.holdWith(plan);
    const analysis = run.looked(failing, 5 * MIN);
    expect(analysis?.verdict).toBe('fail');
    expect(run.state.status().steps[0].hold).toMatchObject({ looks: 1, elapsedMs: 5 * MIN });
  });

  it('waits for live-quality labels in the step before 100% (the champion serves none after it), not only in the last', () => {
    // 9 labelled positives from each version: AUC cannot be judged yet (10 of each class needed).
    const unlabelled = measured({ labels: 60, positives: 9 }, { labels: 60, positives: 9 });
    const at50 = (labelsBeforeFullTraffic: boolean) => {
      const run = canary({ hold: { mode: 'sequential' } });
      run.analysed(hold(run, run.begin(), healthy, 0)!);
      run.stepStarted(10 * MIN, 's1', { labelsBeforeFullTraffic });
      run.holdWith(plan);
      expect(run.weight).toBe(50);
      return run.looked(unlabelled, 15 * MIN);
    };
    expect(at50(true)).toBeUndefined();
    // Canaries recorded before the rule passed this step at once and left the 100% step waiting for champion labels.
    expect(at50(false)).toMatchObject({ verdict: 'pass' });
    // The 10% step (followed by 50%) still leaves quality to later steps.
    const run = canary({ hold: { mode: 'sequential' } });
    run.begin();
    run.stepStarted(0, 's1');
    run.holdWith(plan);
    expect(run.looked(unlabelled, 5 * MIN)).toMatchObject({ verdict: 'pass' });
  });

  it('compares every look of a step with the champion baseline from before the step', () => {
    const run = canary({ hold: { mode: 'sequential' } });
    run.analysed(hold(run, run.begin(), healthy, 0)!);
    const before = run.state.baseline;
    expect(before).toMatchObject({ measuredAtWeight: 10 });
    run.stepStarted(10 * MIN, 's1');
    run.holdWith(plan);
    // The first look measures the champion at 50% and records that baseline ...
    run.looked(healthy, 15 * MIN);
    expect(run.state.baseline).toMatchObject({ measuredAtWeight: 50 });
    // ... a later look whose champion had too few requests falls back on the one from before the step.
    run.looked(measured({}, { requests: 3 }), 20 * MIN);
    expect(run.state.baseline).toEqual(before);
  });
});

describe('CanaryRun: the shadow phase', () => {
  const SHADOW = { shadow: { minLabels: 200, maxDuration: '30 minutes' } };

  /** Starts the shadow phase and takes one look `at` ms after it began. */
  function shadowLook(run: CanaryRun, look: ReturnType<typeof measured>, at: number) {
    run.stepStarted(0, 's1');
    run.holdWith(run.shadowPlan());
    return run.looked(look, at);
  }

  it('comes first when asked for (and the replay allows it): weight 0, then the traffic steps', () => {
    const run = canary(SHADOW);
    expect(run.begin(true)).toEqual({ type: 'shift', step: 0, weight: 0, shadow: true });
    expect(run.inShadow).toBe(true);
    expect(run.shadowPlan()).toMatchObject({ intervalMs: 5 * MIN, minMs: 5 * MIN, maxMs: 30 * MIN });
    const analysis = shadowLook(run, healthy, 5 * MIN)!;
    expect(analysis.verdict).toBe('pass');
    // Latency of off-path scoring is not the champion's kind of latency: judged from the first traffic step.
    expect(analysis.checks.find((c) => c.name === 'latencyP99')!.verdict).toBe('skipped');
    expect(run.analysed(analysis)).toEqual({ type: 'shift', step: 1, weight: 10 });
    expect(run.inShadow).toBe(false);
    run.stepStarted(10 * MIN, 's1');
    const [shadowStep, first] = run.state.status().steps;
    expect(shadowStep).toMatchObject({ step: 0, phase: 'shadow', weight: 0 });
    expect(first).toMatchObject({ step: 1, weight: 10 });
    expect(first.phase).toBeUndefined();
  });

  it('is skipped when replaying a canary recorded before shadow mode, and absent without shadow params', () => {
    expect(canary(SHADOW).begin(false)).toEqual({ type: 'shift', step: 1, weight: 10 });
    expect(canary().begin(true)).toEqual({ type: 'shift', step: 1, weight: 10 });
  });

  it('holds until both versions have shadow.minLabels labels, requiring labels even when the steps do not', () => {
    const run = canary({ ...SHADOW, analysis: { requireLabels: false } });
    run.begin(true);
    expect(shadowLook(run, measured({ labels: 150 }, { labels: 150 }), 5 * MIN)).toBeUndefined();
    expect(run.state.current!.analysis!.reasons.join()).toMatch(/200 labels each needed to pass/);
  });

  it('rolls back on harm shown in shadow, saying no traffic moved', () => {
    const run = canary(SHADOW);
    run.begin(true);
    const action = run.analysed(shadowLook(run, failing, 5 * MIN)!);
    expect(action).toMatchObject({ type: 'roll-back', verdict: 'rolled-back' });
    expect((action as { reasons: string[] }).reasons[0]).toMatch(/^shadow phase \(no traffic moved\): errorRate/);
  });

  it('asks for a decision at its maximum duration, at the shadow gate', () => {
    const run = canary(SHADOW);
    run.begin(true);
    const analysis = shadowLook(run, measured({ labels: 20 }, { labels: 20 }), 30 * MIN)!;
    expect(analysis.verdict).toBe('inconclusive');
    expect(run.analysed(analysis)).toMatchObject({ type: 'await-decision', gateId: 'shadow' });
    expect(run.trafficRefused('x').reasons[0]).toBe('the model server did not take the canary in shadow mode: x');
  });
});
