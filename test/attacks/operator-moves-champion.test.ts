/**
 * Issue #13 items 2 and 3: an operator cannot move a champion by weakening the owner's policy
 * (another model, no gates, checks off, auto promotion), through the API or straight on Temporal;
 * and the person who started a run travels with it: alias moves are recorded as that person,
 * while a run nobody can vouch for waits for an approval through the API.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrustEnv, waitFor, WINDOW, type TrustEnv } from './support/trust-spec-env';

let t: TrustEnv;
const counts = { attempts: 0, refused: 0, unchanged: 0 };

beforeAll(async () => {
  t = await startTrustEnv();
}, 120_000);

afterAll(async () => {
  await t?.close();
   
  console.log(`[attacks] operator-moves-champion: ${JSON.stringify(counts)}`);
});

const weakened = {
  pipeline: 'flight-delay-builtin',
  model: 'owned',
  overrides: { ...WINDOW, validate: { minRows: 1, severity: { rowCount: 'off', drift: 'off' } }, evaluate: { gates: [] }, promote: { mode: 'auto' } },
};

describe("only a model's owner sets its promotion policy", () => {
  it('refuses an operator who points a weakened pipeline at another model (403, every field named), and nothing changes', async () => {
    const before = await t.snapshot();
    const res = await t.call('otto', 'POST', '/v1/runs', { input: weakened });
    counts.attempts++;
    expect(res.status).toBe(403);
    const detail = String(res.body.detail);
    expect(detail).toMatch(/model: only the owner of model "owned" \(admin, or approver with a grant on owned@champion\) may run pipeline "flight-delay-builtin"/);
    expect(detail).toMatch(/overrides\.evaluate\.gates: set by the model's owner/);
    expect(detail).toMatch(/overrides\.validate\.minRows/);
    expect(detail).toMatch(/overrides\.validate\.severity/);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('refuses an operator weakening the named pipeline of its own model too', async () => {
    const before = await t.snapshot();
    const res = await t.call('otto', 'POST', '/v1/runs', { input: { pipeline: 'flight-delay-builtin', overrides: { ...WINDOW, evaluate: { gates: [] } } } });
    counts.attempts++;
    expect(res.status).toBe(403);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it("refuses an operator who sets the recent-traffic gate (a skip on too few labels, another model's traffic), naming the field, and nothing changes", async () => {
    const before = await t.snapshot();
    const recent = { served: { model: 'payments', window: '7 days' }, onTooFewLabels: 'skip', minLabels: 2 };
    const res = await t.call('otto', 'POST', '/v1/runs', { input: { pipeline: 'flight-delay-builtin', overrides: { ...WINDOW, evaluate: { recent } } } });
    counts.attempts++;
    expect(res.status).toBe(403);
    const detail = String(res.body.detail);
    expect(detail).toMatch(/overrides\.evaluate\.recent: set by the model's owner/);
    expect(detail).toMatch(/recent\.served\.model: reading the served traffic of model "payments" needs its owner/);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('refuses an inline spec with a promote step from a non-owner (approver without the grant)', async () => {
    const before = await t.snapshot();
    const spec = { name: 'sneaky', model: 'owned', steps: [{ id: 'a', kind: 'noop' }, { id: 'promote', kind: 'promote', dependsOn: ['a'] }] };
    const res = await t.call('noah', 'POST', '/v1/runs', { input: { spec } });
    counts.attempts++;
    expect(res.status).toBe(403);
    expect(String(res.body.detail)).toMatch(/noah.*(operator role|may only be run by the owner)/);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('fails the same weakened run started straight on Temporal, before any step, and the champion stays', async () => {
    const before = await t.snapshot();
    const run = await t.raw.startPipeline(weakened, { idempotencyKey: 'raw-weakened' });
    counts.attempts++;
    const failure = await t.raw.result(run.workflowId).then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(/spec policy.*a run without a verifiable identity may not change it/);
    counts.refused++;
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  }, 60_000);
});

describe('the person travels with the run', () => {
  it('holds a run started on Temporal without identity for an approval, and records the approver who gives it', async () => {
    const before = await t.snapshot();
    const run = await t.raw.startPipeline({ pipeline: 'flight-delay-builtin', overrides: WINDOW }, { idempotencyKey: 'raw-unchanged' });
    counts.attempts++;
    const status = await waitFor(async () => {
      const s = await t.raw.getStatus(run.workflowId);
      if (s.stage === 'completed' || s.stage === 'failed') throw new Error(`run ended without waiting: ${JSON.stringify(s.steps.map((x) => x.summary?.reasons ?? x.error))}`);
      return s.approval?.state === 'pending' ? s : undefined;
    }, 150_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify((await t.raw.getStatus(run.workflowId)).steps.map((x) => [x.id, x.state, x.summary?.reasons ?? x.error]))}`);
    });
    expect(status.approval).toMatchObject({ state: 'pending', alias: 'champion', onTimeout: 'reject' });
    counts.refused++;
    // The run registered its candidate (audited as a version); no alias moved.
    expect((await t.snapshot()).aliases).toEqual(before.aliases);
    counts.unchanged++;
    const res = await t.call('ann', 'POST', `/v1/runs/${run.workflowId}/approve`, { reason: 'report reviewed' });
    expect(res.status).toBe(200);
    expect((await t.raw.result(run.workflowId)).outcome).toBe('promoted');
    const moves = await t.governance.registry.aliasHistory('flight-delay', 'champion');
    expect(moves.at(-1)).toMatchObject({ actor: 'ann', reason: 'approved by ann: report reviewed' });
  }, 180_000);

  it("records an operator's run of the owner's unchanged pipeline as the operator's promotion, not workflow:<id>", async () => {
    const res = await t.call('otto', 'POST', '/v1/runs', { input: { pipeline: 'flight-delay-builtin', overrides: WINDOW }, idempotencyKey: 'otto-unchanged' });
    expect(res.status).toBe(201);
    const result = await t.raw.result(String(res.body.workflowId));
    if (result.outcome !== 'promoted') throw new Error(`not promoted: ${JSON.stringify(Object.entries(result.outputs).map(([k, o]) => [k, o.summary.reasons ?? o.summary.blessed]))}`);
    const moves = await t.governance.registry.aliasHistory('flight-delay', 'champion');
    expect(moves.at(-1)?.actor).toBe('otto');
    expect(moves.at(-1)?.reason).toMatch(/under the policy of pipeline flight-delay-builtin; run .* started by otto/);
    const audit = await t.governance.audit.list({ action: 'model.promote', limit: 10 });
    expect(audit.map((e) => e.actor)).toContain('otto');
    expect(audit.find((e) => e.actor === 'otto')?.origin).toMatch(new RegExp(`^temporal:${String(res.body.workflowId)}/`));
  }, 180_000);
});
