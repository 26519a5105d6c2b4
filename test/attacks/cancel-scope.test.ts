/**
 * Issue #13 item 7 (cancel part): `POST /v1/runs/:id/cancel` cancels only pipeline runs of this
 * Slipway's task queue; a canary, a rollback, or any other workflow in the namespace is not a
 * run, and a schedule's run belongs to the schedule's owner (an admin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrustEnv, waitFor, WINDOW, type TrustEnv } from './support/trust-spec-env';

let t: TrustEnv;
const counts = { attempts: 0, refused: 0, unchanged: 0 };
const NO_WORKER = 'nobody-polls-this-queue';

beforeAll(async () => {
  t = await startTrustEnv();
}, 120_000);

afterAll(async () => {
  await t?.close();
   
  console.log(`[attacks] cancel-scope: ${JSON.stringify(counts)}`);
});

/** A workflow that stays open: nobody polls its queue. */
async function openWorkflow(type: string, workflowId: string, taskQueue = NO_WORKER): Promise<void> {
  await t.env.client.workflow.start(type, { taskQueue, workflowId, args: [{}] });
}

const isOpen = async (id: string) => (await t.env.client.workflow.getHandle(id).describe()).status.name === 'RUNNING';

describe('cancel is scoped to pipeline runs', () => {
  it.each([
    ['a canary', 'canary', 'canary-owned'],
    ['a rollback half-way', 'rollback', 'rollback-owned-4a1c'],
    ['a pipeline of another Slipway (another task queue)', 'pipeline', 'pipeline-elsewhere'],
  ])('refuses to cancel %s (404) and leaves it running', async (_what, type, id) => {
    await openWorkflow(type, id);
    const before = await t.snapshot();
    const res = await t.call('otto', 'POST', `/v1/runs/${id}/cancel`, { reason: 'oops' });
    counts.attempts++;
    expect(res.status).toBe(404);
    expect(String(res.body.detail)).toMatch(new RegExp(`no pipeline run "${id}": only pipeline runs can be cancelled`));
    counts.refused++;
    expect(await isOpen(id)).toBe(true);
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('refuses the admin as well: the route only ever cancels pipeline runs', async () => {
    const before = await t.snapshot();
    const res = await t.call('root', 'POST', '/v1/runs/canary-owned/cancel', {});
    counts.attempts++;
    expect(res.status).toBe(404);
    counts.refused++;
    expect(await isOpen('canary-owned')).toBe(true);
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('refuses an operator approving or rejecting something that is not a pipeline run', async () => {
    const before = await t.snapshot();
    for (const verb of ['approve', 'reject']) {
      const res = await t.call('root', 'POST', `/v1/runs/canary-owned/${verb}`, { reason: 'continue' });
      counts.attempts++;
      expect(res.status).toBe(404);
      counts.refused++;
    }
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it("refuses an operator cancelling a schedule's run (it is the schedule owner's), and lets an admin", async () => {
    // A real schedule's run: paused schedule, triggered once; the run waits for an approval (no identity), so it stays open.
    const schedule = await t.env.client.schedule.create({
      scheduleId: 'nightly-flight-delay',
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: 'pipeline', taskQueue: t.h.config.taskQueue, workflowId: 'flight-delay-scheduled', args: [{ pipeline: 'flight-delay-builtin', overrides: WINDOW }] },
      state: { paused: true },
    });
    await schedule.trigger();
    const id = await waitFor(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId);
    const described = await t.raw.describeRun(id);
    expect(described).toMatchObject({ type: 'pipeline', scheduled: true });
    const before = await t.snapshot();
    const res = await t.call('otto', 'POST', `/v1/runs/${id}/cancel`, {});
    counts.attempts++;
    expect(res.status).toBe(403);
    counts.refused++;
    expect(await isOpen(id)).toBe(true);
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
    expect((await t.call('root', 'POST', `/v1/runs/${id}/cancel`, {})).status).toBe(202);
  });

  it('cancels a pipeline run for an operator, as before', async () => {
    const id = 'plain-pipeline-run';
    await t.env.client.workflow.start('pipeline', { taskQueue: t.h.config.taskQueue, workflowId: id, args: [{ pipeline: 'flight-delay-builtin' }], startDelay: '1 hour' });
    const res = await t.call('otto', 'POST', `/v1/runs/${id}/cancel`, { reason: 'wrong window' });
    expect(res.status).toBe(202);
  });
});
