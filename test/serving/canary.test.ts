/**
 * The canary workflow against a real model server process and a real Temporal dev server:
 * traffic moves in steps, each step is analysed on live requests and feedback, a good
 * candidate passes, a bad one is rolled back automatically, missing data is never a pass.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { CanaryInput, CanaryReport, CanaryStatus } from '../../src/canary/canary-state';
import type { StepResult } from '../../src/pipeline/types';
import { abortSignal, approveUpdate, canaryStatusQuery, rejectUpdate } from '../../src/workflows/definitions';
import { decisionToken, type DecisionVerb } from '../../src/auth/signed-claims';
import { TEST_SIGNING_KEY } from '../helpers/slipway-harness';

/** Decisions signed as the API signs them, by an approver granted every model: the worker records the signer. */
const signedBy = (name: string, workflowId: string, verb: DecisionVerb) =>
  decisionToken(TEST_SIGNING_KEY, { name, roles: ['approver'], grants: [{ model: '*', alias: '*' }] }, workflowId, verb);
import { deployChampionAndCandidate, readCanaryReport, startTraffic, useCanaryWorld } from './canary-fixtures';
import { call, flight, tinyFlightsModel, type TinyWeights } from './serving-fixtures';

const cw = useCanaryWorld();

const FAST = { steps: [20, 50, 100], interval: '3s', analysis: { minRequests: 20, minLabels: 30 }, decisionTimeout: '2 minutes' };

/** Registers a champion and a candidate for `model` and deploys the champion alone. */
const setUp = (model: string, candidateWeights: TinyWeights) => deployChampionAndCandidate(cw(), model, candidateWeights);

function startCanary(input: CanaryInput) {
  return cw().env.client.workflow.start('canary', { taskQueue: cw().harness.config.taskQueue, workflowId: `canary-${input.model}`, args: [input] });
}

const deployment = async (model: string) => (await call(cw().base, 'GET', `/admin/v1/models/${model}/deployment`)).body as { versions: { version: number; weight: number }[] };
const weights = async (model: string) => Object.fromEntries((await deployment(model)).versions.map((v) => [v.version, v.weight]));

async function waitForStage(handle: Awaited<ReturnType<typeof startCanary>>, stage: CanaryStatus['stage'], timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // A query that reaches the workflow before its first task ran finds no handler yet: ask again.
    const status = await handle.query(canaryStatusQuery).catch((err: unknown) => {
      if ((err as Error).name === 'QueryNotRegisteredError') return undefined;
      throw err;
    });
    if (status?.stage === stage) return status;
    if (Date.now() > until) throw new Error(`canary did not reach ${stage}: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const readReport = (result: StepResult<'canary'>) => readCanaryReport(cw(), result);

describe('canary workflow', () => {
  it('moves a good candidate through every traffic step on live traffic and reports each analysis', async () => {
    const { champion, candidate } = await setUp('good', { distance: 2.1 });
    const traffic = startTraffic(cw().base, 'good');
    const handle = await startCanary({ model: 'good', champion, candidate, params: FAST });
    const result = (await handle.result()) as StepResult<'canary'>;
    const replay = await traffic.stop();

    expect(result.summary.reasons).toEqual([]);
    expect(result.summary).toMatchObject({ canaryVerdict: 'passed', weight: 100, candidate, champion });
    const report = await readReport(result);
    expect(report.steps.map((s) => s.weight)).toEqual([20, 50, 100]);
    for (const step of report.steps) {
      expect(step.analysis!.verdict).toBe('pass');
      expect(step.measurement!.step.canary.requests).toBeGreaterThanOrEqual(20);
      const names = step.analysis!.checks.map((c) => c.name);
      expect(names).toEqual(expect.arrayContaining(['samples', 'errorRate', 'latencyP99', 'scoreShift']));
    }
    // Live quality was judged once enough labels had arrived, at the latest in the last step.
    const auc = report.steps.at(-1)!.analysis!.checks.find((c) => c.name === 'liveAuc')!;
    expect(auc.verdict).toBe('pass');
    expect(auc.canary!).toBeGreaterThan(0.8);
    // At 100% the champion got no traffic; the checks compared with its figures from the 50% step.
    expect(report.baseline?.measuredAtWeight).toBe(50);
    expect(await weights('good')).toEqual({ [champion]: 0, [candidate]: 100 });
    expect(replay.statuses, JSON.stringify(replay.statuses)).toEqual({ 200: replay.sent });
  }, 120_000);

  it('at low traffic holds each step until it has its sample, and still passes a good candidate without asking anyone', async () => {
    const { champion, candidate } = await setUp('trickle', { distance: 2.1 });
    // 12 requests/s: 2.4/s reach the canary at 20%, so its 20 requests take about 8 s, several 2-s intervals.
    const traffic = startTraffic(cw().base, 'trickle', 12);
    // The hold ends as soon as the evidence decides; the generous maximum only matters on a loaded machine, where
    // the traffic generator falls behind and a step could otherwise end inconclusive (and wait for a human).
    const handle = await startCanary({ model: 'trickle', champion, candidate, params: { ...FAST, interval: '2s', hold: { maxDuration: '90s' } } });
    const result = (await handle.result()) as StepResult<'canary'>;
    await traffic.stop();
    expect(result.summary.reasons).toEqual([]);
    expect(result.summary).toMatchObject({ canaryVerdict: 'passed' });
    expect((result.summary.steps as { decision: string | null }[]).every((s) => s.decision === null)).toBe(true);
    const report = await readReport(result);
    const first = report.steps[0];
    expect(first.hold!.looks).toBeGreaterThan(1);
    expect(first.measurement!.step.canary.requests).toBeGreaterThanOrEqual(20);
    // The last step passed on live labels, with the always-valid interval in the report.
    const auc = report.steps.at(-1)!.analysis!.checks.find((c) => c.name === 'liveAuc')!;
    expect(auc.verdict).toBe('pass');
    expect(auc.evidence).toMatchObject({ alpha: 0.05, boundary: -0.03 });
    expect(auc.evidence!.upper).toBeGreaterThan(-0.03);
    expect(await weights('trickle')).toEqual({ [champion]: 0, [candidate]: 100 });
  }, 300_000);

  it('rolls a bad candidate back at the first analysis, without touching the champion', async () => {
    // Like a model trained on shuffled labels: the same score for every flight.
    const { champion, candidate } = await setUp('bad', { bias: 1.5 });
    const traffic = startTraffic(cw().base, 'bad');
    const handle = await startCanary({ model: 'bad', champion, candidate, params: FAST });
    const result = (await handle.result()) as StepResult<'canary'>;
    await traffic.stop();

    expect(result.summary.canaryVerdict).toBe('rolled-back');
    expect((result.summary.reasons as string[]).join(' ')).toMatch(/scoreShift: prediction-score PSI/);
    const report = await readReport(result);
    expect(report.steps).toHaveLength(1);
    const psi = report.steps[0].analysis!.checks.find((c) => c.name === 'scoreShift')!;
    expect(psi.verdict).toBe('fail');
    expect(psi.canary!).toBeGreaterThan(psi.limit!);
    expect(await weights('bad')).toEqual({ [champion]: 100, [candidate]: 0 });
    expect(await cw().world.registry.getAlias('bad', 'champion')).toBeUndefined();
  }, 120_000);

  it('does not pass without traffic: each step is inconclusive and waits for a human, who approves it through', async () => {
    const { champion, candidate } = await setUp('quiet', { distance: 2.2 });
    const handle = await startCanary({ model: 'quiet', champion, candidate, params: { ...FAST, steps: [50, 100], hold: { maxDuration: '6s' } } });
    for (const weight of [50, 100]) {
      const waiting = await waitForStage(handle, 'awaiting-decision');
      expect(waiting.weight).toBe(weight);
      expect(waiting.steps.at(-1)!.analysis!.verdict).toBe('inconclusive');
      // A sequential hold waits for traffic until its maximum duration, and only then asks.
      expect(waiting.steps.at(-1)!.analysis!.reasons.join(' ')).toMatch(/^maximum duration of the step reached \(6\.0 s, 2 looks\) without a decision samples: only 0 canary requests/);
      expect(waiting.decision).toMatchObject({ state: 'pending', onTimeout: 'reject' });
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', reason: `checked offline metrics at ${weight}%`, token: signedBy('alice', handle.workflowId, 'approve') }] });
    }
    const result = (await handle.result()) as StepResult<'canary'>;
    expect(result.summary.canaryVerdict).toBe('passed');
    expect(result.summary.steps).toEqual([
      { weight: 50, verdict: 'inconclusive', decision: 'approved' },
      { weight: 100, verdict: 'inconclusive', decision: 'approved' },
    ]);
  }, 120_000);

  it('rolls back when the human rejects an inconclusive step, and refuses decisions when none is pending', async () => {
    const { champion, candidate } = await setUp('rejected', { distance: 2.2 });
    const handle = await startCanary({ model: 'rejected', champion, candidate, params: { ...FAST, hold: { maxDuration: '6s' } } });
    await expect(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', reason: 'too early', token: signedBy('bob', handle.workflowId, 'approve') }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/no canary decision is pending/) },
    });
    await waitForStage(handle, 'awaiting-decision');
    await expect(handle.executeUpdate(rejectUpdate, { args: [{ approver: 'bob', reason: '', token: signedBy('bob', handle.workflowId, 'reject') }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/reason: give a reason/) },
    });
    await handle.executeUpdate(rejectUpdate, { args: [{ approver: 'bob', reason: 'no traffic to judge it on', token: signedBy('bob', handle.workflowId, 'reject') }] });
    const result = (await handle.result()) as StepResult<'canary'>;
    expect(result.summary.canaryVerdict).toBe('rolled-back');
    expect((result.summary.reasons as string[]).at(-1)).toBe('rejected by bob: no traffic to judge it on');
    expect(await weights('rejected')).toEqual({ [champion]: 100, [candidate]: 0 });
  }, 120_000);

  it('after the model server is killed mid-step it serves the same split again, and the step is not passed on lost data', async () => {
    const { champion, candidate } = await setUp('crash', { distance: 2.2 });
    const traffic = startTraffic(cw().base, 'crash');
    const handle = await startCanary({ model: 'crash', champion, candidate, params: { ...FAST, interval: '6s' } });
    await waitForStage(handle, 'holding');
    await new Promise((r) => setTimeout(r, 1500));
    await cw().restartServer();
    expect(await weights('crash')).toEqual({ [champion]: 80, [candidate]: 20 });

    const waiting = await waitForStage(handle, 'awaiting-decision');
    const analysis = waiting.steps[0].analysis!;
    expect(analysis.verdict).toBe('inconclusive');
    expect(analysis.checks.find((c) => c.name === 'serverContinuity')!.verdict).toBe('inconclusive');
    await handle.executeUpdate(rejectUpdate, { args: [{ approver: 'carol', reason: 'server crashed during the step', token: signedBy('carol', handle.workflowId, 'reject') }] });
    const result = (await handle.result()) as StepResult<'canary'>;
    await traffic.stop();
    expect(result.summary.canaryVerdict).toBe('rolled-back');
    expect(await weights('crash')).toEqual({ [champion]: 100, [candidate]: 0 });
  }, 120_000);

  it('rolls back when the candidate artifact was tampered with: the server refuses it and keeps the champion alone', async () => {
    const { champion, candidate, candidateArtifact } = await setUp('tampered', { distance: 2.2 });
    const file = join(cw().world.artifactRoot, 'sha256', candidateArtifact.sha256.slice(0, 2), candidateArtifact.sha256);
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 0x01;
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    const handle = await startCanary({ model: 'tampered', champion, candidate, params: FAST });
    const result = (await handle.result()) as StepResult<'canary'>;
    expect(result.summary.canaryVerdict).toBe('rolled-back');
    expect((result.summary.reasons as string[])[0]).toMatch(/did not take the canary at 20%.*sha256/);
    expect(await weights('tampered')).toEqual({ [champion]: 100 });
  }, 120_000);

  it('aborts on the abort signal, and a second canary of the same model cannot start while one runs', async () => {
    const { champion, candidate } = await setUp('aborted', { distance: 2.2 });
    const handle = await startCanary({ model: 'aborted', champion, candidate, params: { ...FAST, interval: '1 minute' } });
    await waitForStage(handle, 'holding');
    await expect(startCanary({ model: 'aborted', champion, candidate, params: FAST })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await handle.signal(abortSignal, { by: 'dave', reason: 'pager went off', token: signedBy('dave', handle.workflowId, 'abort') });
    const result = (await handle.result()) as StepResult<'canary'>;
    expect(result.summary).toMatchObject({ canaryVerdict: 'aborted', reasons: ['aborted by dave: pager went off'] });
    expect(await weights('aborted')).toEqual({ [champion]: 100, [candidate]: 0 });
  }, 120_000);

  it('rolls the champion back to any earlier version with the rollback workflow, and the server follows in the same run', async () => {
    const versions = [];
    for (const bias of [-1, 0, 1]) versions.push((await cw().world.register('rb', tinyFlightsModel({ bias }))).version);
    let expected: number | null = null;
    for (const version of versions) {
      await cw().world.registry.setAlias({ model: 'rb', alias: 'champion', version, expectedVersion: expected, actor: 'test', reason: 'promoted' });
      expected = version;
    }
    await call(cw().base, 'PUT', '/admin/v1/models/rb/deployment', { versions: [{ version: versions[2], weight: 100 }] });

    const result = await cw().env.client.workflow.execute('rollback', {
      taskQueue: cw().harness.config.taskQueue,
      workflowId: 'rollback-rb-1',
      // Signed as the API signs a rollback, so the worker records erin (unsigned, it would be the dev principal).
      args: [{ model: 'rb', version: versions[0], reason: 'v3 degraded live AUC', actor: 'erin', token: decisionToken(TEST_SIGNING_KEY, { name: 'erin', roles: ['approver'], grants: [{ model: '*', alias: '*' }] }, 'rollback-rb-1', 'rollback', `rb@${versions[0]}`) }],
    });
    expect(result.move).toMatchObject({ fromVersion: versions[2], toVersion: versions[0], actor: 'erin', reason: 'v3 degraded live AUC' });
    expect(result.serving).toMatchObject({ changed: true });
    expect(await weights('rb')).toEqual({ [versions[0]]: 100, [versions[2]]: 0 });
    expect((await cw().world.registry.getAlias('rb', 'champion'))?.version).toBe(versions[0]);
    const predicted = await call(cw().base, 'POST', '/v1/models/rb/predict', { row: flight(900) }, { token: null });
    expect(predicted.body.version).toBe(versions[0]);

    const unknown = cw().env.client.workflow.execute('rollback', {
      taskQueue: cw().harness.config.taskQueue,
      workflowId: 'rollback-rb-2',
      args: [{ model: 'rb', version: 9, reason: 'typo', actor: 'erin' }],
    });
    await expect(unknown).rejects.toMatchObject({ cause: { cause: { message: expect.stringMatching(/model "rb" has no version 9 \(versions: v1, v2, v3\)/) } } });
    expect(await weights('rb')).toEqual({ [versions[0]]: 100, [versions[2]]: 0 });
  }, 120_000);

  it('refuses an invalid input, naming the field', async () => {
    const handle = await startCanary({ model: 'invalid', champion: 1, candidate: 2, params: { steps: [50, 10] } as never });
    await expect(handle.result()).rejects.toMatchObject({ cause: { message: expect.stringMatching(/params\.steps: steps must rise/) } });
  });
});
