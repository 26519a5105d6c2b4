/**
 * Issue #13 item 4 (and item 7's grant checks on decisions): approvals sent through Temporal
 * updates carry an identity the worker verifies. A raw Temporal client naming any approver, a
 * token signed with another key or for another run or decision, and principals without the role
 * or the grant on the model and the alias the run promotes are all refused, and nothing moves.
 * This is also the role matrix of the Temporal-update path: viewer, operator, approver without
 * the grant refused; approver with the grant and admin accepted.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal';
import { decisionToken } from '../../src/auth/signed-claims';
import { approveUpdate } from '../../src/workflows/definitions';
import { TEST_SIGNING_KEY } from '../helpers/slipway-harness';
import { startTrustEnv, waitFor, WINDOW, WHO, type TrustEnv, type Who } from './support/trust-spec-env';

let t: TrustEnv;
const runs: Record<string, string> = {};
const principals = {} as Record<Who, Principal>;
const counts = { attempts: 0, refused: 0, unchanged: 0 };

const manual = (model: string, alias = 'champion') => ({ pipeline: 'flight-delay-builtin', model, overrides: { ...WINDOW, promote: { mode: 'manual', alias, approvalTimeout: '30 minutes' } } });

beforeAll(async () => {
  t = await startTrustEnv();
  const root = principals.root = (await t.governance.access.authenticate(t.tokens.root))!;
  for (const m of ['fa-a', 'fa-b', 'fa-c']) await t.governance.access.grant({ principal: 'ann', model: m, alias: 'champion' }, root);
  for (const who of WHO) principals[who] = (await t.governance.access.authenticate(t.tokens[who]))!;
  // Runs the admin (the models' owner) starts in manual mode; each waits for a decision.
  for (const [key, input] of [['a', manual('fa-a')], ['b', manual('fa-b', 'staging')], ['c', manual('fa-c')]] as const) {
    const res = await t.call('root', 'POST', '/v1/runs', { input, idempotencyKey: `fa-${key}` });
    expect(res.status).toBe(201);
    runs[key] = String(res.body.workflowId);
  }
  for (const id of Object.values(runs)) await waitFor(async () => ((await t.raw.getStatus(id)).approval?.state === 'pending' ? true : undefined), 180_000);
}, 300_000);

afterAll(async () => {
  await t?.close();
   
  console.log(`[attacks] forged-approval: ${JSON.stringify(counts)}`);
});

/** Sends an approve update straight to Temporal, as anyone who reaches it can. */
const rawApprove = (id: string, request: Record<string, unknown>) =>
  t.env.client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [request as never] });

async function refusedUnchanged(id: string, attempt: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = await t.snapshot(['fa-a', 'fa-b', 'fa-c']);
  counts.attempts++;
  const err = await attempt().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(message);
  counts.refused++;
  expect(await t.snapshot(['fa-a', 'fa-b', 'fa-c'])).toEqual(before);
  expect((await t.raw.getStatus(id)).approval?.state).toBe('pending');
  counts.unchanged++;
}

describe('approvals through Temporal updates', () => {
  it('refuses {"approver":"root"} from a raw Temporal client: a name is not an identity', async () => {
    await refusedUnchanged(runs.a, () => rawApprove(runs.a, { approver: 'root', reason: 'trust me' }), /approve needs a decision token signed by the Slipway API or CLI/);
  });

  it('refuses a token signed with another key', async () => {
    const forged = decisionToken('x'.repeat(40), principals.root, runs.a, 'approve');
    await refusedUnchanged(runs.a, () => rawApprove(runs.a, { approver: 'root', reason: 'forged', token: forged }), /signature does not verify/);
  });

  it('refuses a genuine token made for another run, or for rejecting', async () => {
    await refusedUnchanged(runs.a, () => rawApprove(runs.a, { approver: 'root', reason: 'replayed', token: decisionToken(TEST_SIGNING_KEY, principals.root, runs.c, 'approve') }), /issued for .*fa-c.*, not/);
    await refusedUnchanged(runs.a, () => rawApprove(runs.a, { approver: 'root', reason: 'wrong verb', token: decisionToken(TEST_SIGNING_KEY, principals.root, runs.a, 'reject') }), /issued to reject, not to approve/);
  });

  it.each(['vic', 'otto', 'noah'] as const)('refuses %s with a genuine token: no approver role, or no grant on the model', async (who) => {
    const token = decisionToken(TEST_SIGNING_KEY, principals[who], runs.a, 'approve');
    await refusedUnchanged(runs.a, () => rawApprove(runs.a, { approver: who, reason: 'looks fine', token }), who === 'noah' ? /noah has the approver role but no grant to move aliases of fa-a@champion/ : /needs the approver role/);
  });

  it('accepts ann (approver with the grant) through Temporal and records her as the approver of the promotion', async () => {
    const state = await rawApprove(runs.a, { approver: 'somebody else', reason: 'report reviewed', token: decisionToken(TEST_SIGNING_KEY, principals.ann, runs.a, 'approve') });
    expect(state).toMatchObject({ state: 'approved', decision: { approver: 'ann', verifiedBy: 'token' } });
    expect(state.decision).not.toHaveProperty('token');
    expect((await t.raw.result(runs.a)).outcome).toBe('promoted');
    expect((await t.governance.registry.aliasHistory('fa-a', 'champion')).at(-1)).toMatchObject({ actor: 'ann', reason: 'approved by ann: report reviewed' });
  }, 120_000);
});

describe('approve and reject through the API are granted on the model and the alias the run moves', () => {
  it('refuses ann approving a run that promotes to staging (her grant is on champion), and the admin can', async () => {
    const before = await t.snapshot(['fa-b']);
    const res = await t.call('ann', 'POST', `/v1/runs/${runs.b}/approve`, { reason: 'ok' });
    counts.attempts++;
    expect(res.status).toBe(403);
    expect(String(res.body.detail)).toMatch(/ann has the approver role but no grant to move aliases of fa-b@staging/);
    counts.refused++;
    expect(await t.snapshot(['fa-b'])).toEqual(before);
    expect((await t.raw.getStatus(runs.b)).approval?.state).toBe('pending');
    counts.unchanged++;
    const ok = await t.call('root', 'POST', `/v1/runs/${runs.b}/approve`, { reason: 'staging is mine to move' });
    expect(ok.status).toBe(200);
    expect((await t.raw.result(runs.b)).outcome).toBe('promoted');
    expect((await t.governance.registry.getAlias('fa-b', 'staging'))?.version).toBe(1);
  }, 120_000);

  it('refuses noah rejecting without a grant (run.reject is grant-checked), then ann rejects', async () => {
    const before = await t.snapshot(['fa-c']);
    const auditBefore = (await t.governance.audit.head()).seq;
    const res = await t.call('noah', 'POST', `/v1/runs/${runs.c}/reject`, { reason: 'I do not like it' });
    counts.attempts++;
    expect(res.status).toBe(403);
    counts.refused++;
    expect(await t.snapshot(['fa-c'])).toEqual(before);
    expect((await t.governance.audit.head()).seq).toBe(auditBefore);
    expect((await t.raw.getStatus(runs.c)).approval?.state).toBe('pending');
    counts.unchanged++;
    const ok = await t.call('ann', 'POST', `/v1/runs/${runs.c}/reject`, { reason: 'latency budget' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ state: 'rejected', decision: { approver: 'ann', verifiedBy: 'token' } });
    expect((await t.raw.result(runs.c)).outcome).toBe('rejected');
  }, 120_000);
});
