/**
 * Issue #13 item 7 (cancel part): `POST /v1/runs/:id/cancel` cancels only pipeline runs of this
 * Slipway's task queue; a canary, a rollback, or any other workflow in the namespace is not a
 * run, and a schedule's run belongs to the schedule's owner (an admin). The console's forms for
 * the same actions follow the same rules (src/api/run-scope.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { consoleRoutes } from '../../src/console/console-routes';
import { TEST_SIGNING_KEY } from '../helpers/slipway-harness';
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

describe('the console decides and cancels only pipeline runs, as the API does', () => {
  let app: Awaited<ReturnType<typeof buildApi>>;
  beforeAll(async () => {
    const deps = {
      slipway: new SlipwayClient(t.env.client, { taskQueue: t.h.config.taskQueue, signingKey: TEST_SIGNING_KEY }),
      schedules: new PipelineSchedules(t.env.client, t.h.config.taskQueue),
      registry: t.governance.registry,
      access: t.governance.access,
      audit: t.governance.audit,
      taskQueue: t.h.config.taskQueue,
      pipelinesDir: t.h.config.pipelinesDir,
      authenticator: apiAuthenticator(t.governance.access),
    };
    app = await buildApi({ ...deps, routes: [consoleRoutes(deps)] });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Signs in and posts the form with the session's CSRF token, as the browser would. */
  const post = async (who: 'root' | 'otto', url: string) => {
    const login = await app.inject({ method: 'POST', url: '/ui/login', payload: `token=${encodeURIComponent(t.tokens[who])}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const page = await app.inject({ method: 'GET', url: '/ui/runs', headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    return app.inject({ method: 'POST', url, payload: new URLSearchParams({ _csrf: csrf, reason: 'from the console' }).toString(), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
  };

  it('refuses the admin approving or rejecting a canary through the run forms (404), with nothing changed', async () => {
    // Admins skip the grant's resource lookup, which is where the scope used to be checked.
    await openWorkflow('canary', 'canary-console-scope');
    const before = await t.snapshot();
    for (const verb of ['approve', 'reject']) {
      const res = await post('root', `/ui/runs/canary-console-scope/${verb}`);
      counts.attempts++;
      expect(res.statusCode).toBe(404);
      expect(res.body).toContain('no pipeline run &quot;canary-console-scope&quot;');
      counts.refused++;
    }
    expect(await isOpen('canary-console-scope')).toBe(true);
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });

  it('refuses an operator cancelling a rollback through the console (404), and leaves it running', async () => {
    await openWorkflow('rollback', 'rollback-console-scope');
    const before = await t.snapshot();
    const res = await post('otto', '/ui/runs/rollback-console-scope/cancel');
    counts.attempts++;
    expect(res.statusCode).toBe(404);
    counts.refused++;
    expect(await isOpen('rollback-console-scope')).toBe(true);
    expect(await t.snapshot()).toEqual(before);
    counts.unchanged++;
  });
});
