/**
 * The HTTP API on a real port, against a real dev server and a real worker: the path
 * services in any language use to trigger and follow pipelines.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { buildApi } from '../../src/api/server';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { move, registration } from '../support/registry-test-fixtures';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

/** A bootstrap admin token, as SLIPWAY_API_TOKENS would configure it. */
const ENV_TOKEN = 'test-token-0123456789';
const SMALL = { pipeline: 'flight-delay-builtin', overrides: { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } } };

describe('HTTP API', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let governance: Governance;
  let TOKEN: string;
  let app: Awaited<ReturnType<typeof buildApi>>;
  let base: string;

  beforeAll(async () => {
    env = await startDevServer();
    h = await startHarness(env);
    // The worker's registry database: the rollback workflow moves the alias there.
    governance = await openGovernance(h.config);
    TOKEN = (await governance.access.bootstrap({ admin: 'ci' })).token;
    app = await buildApi({
      slipway: new SlipwayClient(env.client, { taskQueue: h.config.taskQueue, uiUrl: 'http://localhost:8233' }),
      schedules: new PipelineSchedules(env.client, h.config.taskQueue),
      registry: governance.registry,
      access: governance.access,
      audit: governance.audit,
      taskQueue: h.config.taskQueue,
      pipelinesDir: h.config.pipelinesDir,
      authenticator: apiAuthenticator(governance.access, [{ name: 'bootstrap', token: ENV_TOKEN }]),
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await governance?.close();
    await h?.close();
    await env?.teardown();
  });

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    // `token` defaults to the bootstrapped admin's, read when called (it is set in beforeAll).
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const waitFor = async <T>(fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  it('refuses requests without a valid bearer token', async () => {
    expect((await call('GET', '/v1/runs', undefined, null)).status).toBe(401);
    const wrong = await call('GET', '/v1/runs', undefined, 'nope');
    expect(wrong).toEqual({
      status: 401,
      body: expect.objectContaining({ status: 401, title: 'Unauthorized', message: expect.stringContaining('no valid API token') }),
    });
  });

  it('accepts a bootstrap admin token from SLIPWAY_API_TOKENS as the principal env:<name>', async () => {
    expect(await call('GET', '/v1/whoami', undefined, ENV_TOKEN)).toEqual({ status: 200, body: { name: 'env:bootstrap', roles: ['admin'], grants: [] } });
    expect((await call('GET', '/v1/whoami')).body).toMatchObject({ name: 'ci', roles: ['admin'] });
  });

  it('serves an OpenAPI document that lists the routes', async () => {
    const { status, body } = await call('GET', '/openapi.json', undefined, null);
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/v1/runs', '/v1/runs/{workflowId}', '/v1/schedules', '/v1/models']));
  });

  it('answers 400 with every problem for an invalid pipeline input, and starts nothing', async () => {
    const { status, body } = await call('POST', '/v1/runs', {
      input: { pipeline: 'flight-delay-builtin', overrides: { ingest: { window: { from: 'yesterday' } }, nosuchstep: {} } },
      idempotencyKey: 'bad-input',
    });
    expect(status).toBe(400);
    expect(body.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('input.overrides.nosuchstep: no step "nosuchstep"'),
        expect.stringContaining('steps[0].with.window.from: expected an ISO date'),
      ]),
    );
    expect(await new SlipwayClient(env.client, { taskQueue: h.config.taskQueue }).exists('flight-delay-builtin-bad-input')).toBe(false);
  });

  it('answers 400 for a malformed body', async () => {
    const { status, body } = await call('POST', '/v1/runs', { inputs: {} });
    expect(status).toBe(400);
    expect(body.problems.join('\n')).toMatch(/body/);
  });

  it('starts a run once per idempotency key, reports its status and lists it', async () => {
    const first = await call('POST', '/v1/runs', { input: SMALL, idempotencyKey: 'api-run-1' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ workflowId: 'flight-delay-builtin-api-run-1', created: true });
    const again = await call('POST', '/v1/runs', { input: SMALL, idempotencyKey: 'api-run-1' });
    expect(again).toEqual({ status: 200, body: { ...first.body, created: false } });

    const done = await waitFor(async () => {
      const s = await call('GET', '/v1/runs/flight-delay-builtin-api-run-1');
      return s.body?.stage === 'completed' ? s.body : undefined;
    });
    expect(done.steps.length).toBeGreaterThanOrEqual(6);
    for (const step of done.steps) expect(['succeeded', 'cached']).toContain(step.state);
    expect(['promoted', 'rejected']).toContain(done.outcome);

    const listed = await waitFor(async () => {
      const l = await call('GET', '/v1/runs?model=flight-delay');
      return l.body.runs.find((r: { workflowId: string; outcome?: string }) => r.workflowId === 'flight-delay-builtin-api-run-1' && r.outcome);
    });
    expect(listed).toMatchObject({ status: 'COMPLETED', model: 'flight-delay', outcome: done.outcome });

    const model = await call('GET', '/v1/models/flight-delay');
    expect(model.status).toBe(200);
    expect(model.body.versions).toHaveLength(1);

    const unknown = await call('POST', '/v1/models/flight-delay/rollback', { version: 9, reason: 'bad canary' });
    expect(unknown).toEqual({ status: 404, body: expect.objectContaining({ message: 'model "flight-delay" has no version 9 (versions: v1)' }) });
  });

  it('answers 404 for an unknown run or model', async () => {
    expect((await call('GET', '/v1/runs/no-such-run')).status).toBe(404);
    expect((await call('GET', '/v1/models/no-such-model')).status).toBe(404);
  });

  it('cancels a running pipeline in the middle of a step, which stops at its next heartbeat', async () => {
    // The whole 3M flights: ingest runs long enough to be cancelled while it reads.
    const started = await call('POST', '/v1/runs', { input: { pipeline: 'flight-delay-builtin' }, idempotencyKey: 'to-cancel' });
    expect(started.status).toBe(201);
    await waitFor(async () => {
      const s = await call('GET', '/v1/runs/flight-delay-builtin-to-cancel');
      return s.body?.steps?.find((st: { id: string; state: string }) => st.id === 'ingest' && st.state === 'running');
    });
    const cancel = await call('POST', '/v1/runs/flight-delay-builtin-to-cancel/cancel');
    expect(cancel.status).toBe(202);
    const cancelledAt = Date.now();
    const status = await waitFor(async () => {
      const l = await call('GET', '/v1/runs?pipeline=flight-delay-builtin');
      return l.body.runs.find((r: { workflowId: string; status: string }) => r.workflowId === 'flight-delay-builtin-to-cancel' && r.status !== 'RUNNING');
    }, 120_000);
    expect(status.status).toBe('CANCELLED');
    const steps = (await call('GET', '/v1/runs/flight-delay-builtin-to-cancel')).body?.steps as { id: string; state: string }[] | undefined;
    expect(steps?.find((st) => st.id === 'train')?.state ?? 'pending').not.toBe('succeeded');
  }, 180_000);

  it('creates an interval schedule whose run completes, then pauses and deletes it', async () => {
    const created = await call('POST', '/v1/schedules', { model: 'sched-model', input: SMALL, every: '3s' });
    expect(created.status).toBe(201);
    expect(created.body.nextRuns.length).toBeGreaterThan(0);
    const run = await waitFor(async () => {
      const l = await call('GET', '/v1/runs?model=sched-model');
      return l.body.runs.find((r: { status: string }) => r.status === 'COMPLETED');
    }, 90_000);
    expect(run.model).toBe('sched-model');
    expect((await call('POST', '/v1/schedules/sched-model/pause')).status).toBe(202);
    expect((await call('GET', '/v1/schedules/sched-model')).body.paused).toBe(true);
    expect((await call('DELETE', '/v1/schedules/sched-model')).status).toBe(204);
    expect((await call('GET', '/v1/schedules/sched-model')).status).toBe(404);
  }, 120_000);

  it('lets a viewer read a version lineage and query and verify the audit log, but not change anything', async () => {
    const root = (await governance.access.authenticate(TOKEN))!;
    await governance.access.setPrincipal({ name: 'vera', roles: ['viewer'] }, root);
    const viewer = (await governance.access.createToken({ principal: 'vera', label: 'dashboard' }, root)).token;
    await governance.registry.registerVersion(registration({ model: 'lineage-model', idempotencyKey: 'lm-1/register', lineage: { ...registration().lineage, 'evaluation-report': `artifact://sha256/${'e'.repeat(64)}` } }));
    await governance.registry.setAlias(move({ model: 'lineage-model', actor: 'workflow:lm-1', reason: 'first model' }));

    const lineage = await call('GET', '/v1/models/lineage-model/versions/1/lineage', undefined, viewer);
    expect(lineage).toMatchObject({
      status: 200,
      body: {
        model: 'lineage-model',
        version: 1,
        data: { digest: 'd'.repeat(64) },
        training: { workflowId: 'wf-1', trainer: 'builtin.logistic' },
        evaluation: { report: `artifact://sha256/${'e'.repeat(64)}` },
        deployments: [{ alias: 'champion', until: null, actor: 'workflow:lm-1' }],
      },
    });
    expect((await call('GET', '/v1/models/lineage-model/versions/7/lineage', undefined, viewer)).status).toBe(404);

    const audit = await call('GET', '/v1/audit?targetPrefix=model:lineage-model&newestFirst=true', undefined, viewer);
    expect(audit.status).toBe(200);
    expect(audit.body.entries.map((e: { action: string; target: string }) => [e.action, e.target])).toEqual([
      ['alias.move', 'model:lineage-model@champion'],
      ['version.register', 'model:lineage-model/v1'],
    ]);
    expect((await call('GET', '/v1/audit?actor=vera', undefined, viewer)).body.entries).toEqual([]);
    expect((await call('GET', '/v1/audit/verify', undefined, viewer)).body).toMatchObject({ ok: true });

    const refused = await call('POST', '/v1/models/lineage-model/rollback', { version: 1, reason: 'nope' }, viewer);
    expect(refused).toMatchObject({ status: 403, body: { requiredRole: 'approver', action: 'model.rollback' } });
  });

  it('rejects a schedule without interval or cron', async () => {
    const { status, body } = await call('POST', '/v1/schedules', { model: 'x', input: SMALL });
    expect(status).toBe(400);
    expect(body.problems).toContain('schedule: give "every" (an interval) or "cron" (one or more expressions)');
  });
});
