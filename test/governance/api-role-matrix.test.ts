/**
 * The role matrix through the real HTTP API: every mutating endpoint × {no token, bad token,
 * viewer, operator, approver without the model grant, approver, admin} → 2xx / 401 / 403, with
 * real tokens in the access-control store, a real Temporal dev server and worker (approvals,
 * the rollback workflow, schedules), on SQLite and on PostgreSQL. Then what those calls left
 * in the audit log.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { buildApi } from '../../src/api/server';
import { EXPECTED_ROLES } from '../support/role-matrix-fixture';
import { ACTION_RULES, type Action, type Role } from '../../src/auth/roles';
import type { AuditEntry } from '../../src/audit/audit-log';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { type WorkflowUpdateFailedError } from '@temporalio/client';
import type { Principal } from '../../src/auth/principal';
import { decisionToken } from '../../src/auth/signed-claims';
import { approveUpdate } from '../../src/workflows/definitions';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { move, registration } from '../support/registry-test-fixtures';
import { BACKENDS } from '../support/test-backends';
import { startHarness, TEST_SIGNING_KEY, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { createGovernanceStore, type GovernanceStore } from './governance-store';
import { AuthFailureThrottle } from '../../src/auth/auth-throttle';

const WINDOW = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } };
const small = (model: string) => ({ pipeline: 'flight-delay-builtin', model, overrides: WINDOW });
const manual = (model: string) => ({ ...small(model), overrides: { ...WINDOW, promote: { mode: 'manual', approvalTimeout: '30 minutes' } } });
const USER_AGENT = 'slipway-role-matrix/1';

const CALLERS = ['none', 'bad', 'viewer', 'operator', 'approver-no-grant', 'approver', 'admin'] as const;
type Caller = (typeof CALLERS)[number];
const PRINCIPALS: Record<Exclude<Caller, 'none' | 'bad'>, { name: string; role: Role }> = {
  viewer: { name: 'vic', role: 'viewer' },
  operator: { name: 'otto', role: 'operator' },
  'approver-no-grant': { name: 'noah', role: 'approver' },
  approver: { name: 'ann', role: 'approver' },
  admin: { name: 'root', role: 'admin' },
};

/** What the policy says, written from EXPECTED_ROLES (independent of ACTION_RULES), not from the code under test. */
function expectedStatus(action: Action, caller: Caller, ok: number): number {
  if (caller === 'none' || caller === 'bad') return 401;
  if (!EXPECTED_ROLES[action].includes(PRINCIPALS[caller].role)) return 403;
  if (caller === 'approver-no-grant' && ['run.approve', 'run.reject', 'model.rollback', 'version.annotate'].includes(action)) return 403;
  return ok;
}

interface Endpoint {
  name: string;
  /** As the OpenAPI document lists it. */
  route: string;
  action: Action;
  method: 'POST' | 'PUT' | 'DELETE';
  path: (caller: Caller) => string;
  body?: (caller: Caller) => unknown;
  /** The status of an allowed call. */
  ok: number;
}

interface Outcome {
  endpoint: string;
  caller: Caller;
  status: number;
  body: Record<string, unknown> | undefined;
  contentType: string | null;
}

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startDevServer();
});
afterAll(async () => {
  await env?.teardown();
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`API role matrix on ${backend.name}${backend.skip ? ` (SKIPPED: ${backend.skip})` : ''}`, () => {
    // Schedules and workflow ids live in the shared dev server: names carry the backend.
    const tag = backend.name === 'sqlite' ? 'sl' : 'pg';
    const m = (name: string) => `${name}-${tag}`;
    let store: GovernanceStore;
    let h: Harness;
    let governance: Governance;
    let app: Awaited<ReturnType<typeof buildApi>>;
    let slipway: SlipwayClient;
    const tokens: Partial<Record<Caller, string>> = { bad: `slw_${'B'.repeat(43)}` };
    const waiting: Record<string, string> = {};
    let spareTokenId = '';
    const outcomes: Outcome[] = [];
    const principals: Partial<Record<Caller, Principal>> = {};
    let documentedRoutes: string[] = [];

    const endpoints: Endpoint[] = [
      // The pipeline's own model: pointing a named pipeline at another model is its owner's field (docs/trust-boundary.md).
      { name: 'start run', route: 'POST /v1/runs', action: 'run.start', method: 'POST', path: () => '/v1/runs', body: (c) => ({ input: { pipeline: 'flight-delay-builtin', overrides: WINDOW }, idempotencyKey: `${tag}-start-${c}` }), ok: 201 },
      { name: 'cancel run', route: 'POST /v1/runs/{workflowId}/cancel', action: 'run.cancel', method: 'POST', path: (c) => `/v1/runs/flight-delay-builtin-${tag}-start-${c}/cancel`, ok: 202 },
      {
        name: 'approve run', route: 'POST /v1/runs/{workflowId}/approve',
        action: 'run.approve',
        method: 'POST',
        path: (c) => `/v1/runs/${waiting[c === 'admin' ? 'appr-root' : 'appr-ann']}/approve`,
        body: () => ({ reason: 'evaluation report reviewed' }),
        ok: 200,
      },
      {
        name: 'reject run', route: 'POST /v1/runs/{workflowId}/reject',
        action: 'run.reject',
        method: 'POST',
        path: (c) => `/v1/runs/${waiting[{ admin: 'rej-root', 'approver-no-grant': 'rej-noah' }[c as string] ?? 'rej-ann']}/reject`,
        body: () => ({ reason: 'latency budget not met' }),
        ok: 200,
      },
      {
        name: 'rollback', route: 'POST /v1/models/{model}/rollback',
        action: 'model.rollback',
        method: 'POST',
        path: () => `/v1/models/${m('rb')}/rollback`,
        // The approver rolls v3 back to v2 (named by URI: the body takes a number, v2, @alias or models:/<model>/2), then the admin v2 to v1; refused callers aim at v1.
        body: (c) => ({ version: c === 'approver' ? `models:/${m('rb')}/2` : 1, reason: `rollback by ${c}` }),
        ok: 200,
      },
      {
        name: 'tag version', route: 'POST /v1/models/{model}/versions/{version}/tags',
        action: 'version.annotate',
        method: 'POST',
        // By URI: the path takes 3, v3, @alias or models:/<model>/3.
        path: () => `/v1/models/${m('rb')}/versions/${encodeURIComponent(`models:/${m('rb')}/3`)}/tags`,
        body: (c) => ({ set: { reviewed: c }, reason: `tag by ${c}` }),
        ok: 200,
      },
      { name: 'create schedule', route: 'POST /v1/schedules', action: 'schedule.manage', method: 'POST', path: () => '/v1/schedules', body: () => ({ model: m('sched'), input: small(m('sched')), every: '1 day', paused: true }), ok: 201 },
      { name: 'pause schedule', route: 'POST /v1/schedules/{model}/pause', action: 'schedule.manage', method: 'POST', path: () => `/v1/schedules/${m('sched')}/pause`, ok: 202 },
      { name: 'unpause schedule', route: 'POST /v1/schedules/{model}/unpause', action: 'schedule.manage', method: 'POST', path: () => `/v1/schedules/${m('sched')}/unpause`, ok: 202 },
      { name: 'trigger schedule', route: 'POST /v1/schedules/{model}/trigger', action: 'schedule.manage', method: 'POST', path: () => `/v1/schedules/${m('sched')}/trigger`, ok: 202 },
      {
        name: 'backfill schedule', route: 'POST /v1/schedules/{model}/backfill',
        action: 'schedule.manage',
        method: 'POST',
        path: () => `/v1/schedules/${m('sched')}/backfill`,
        body: () => ({ start: '2001-01-01T00:00:10Z', end: '2001-01-01T00:00:20Z' }),
        ok: 202,
      },
      { name: 'delete schedule', route: 'DELETE /v1/schedules/{model}', action: 'schedule.manage', method: 'DELETE', path: () => `/v1/schedules/${m('sched')}`, ok: 204 },
      { name: 'set principal', route: 'PUT /v1/principals/{name}', action: 'token.manage', method: 'PUT', path: (c) => `/v1/principals/new-${c}`, body: () => ({ roles: ['viewer'], reason: 'new hire' }), ok: 200 },
      { name: 'disable principal', route: 'POST /v1/principals/{name}/disable', action: 'token.manage', method: 'POST', path: () => '/v1/principals/victim/disable', ok: 200 },
      { name: 'create token', route: 'POST /v1/tokens', action: 'token.manage', method: 'POST', path: () => '/v1/tokens', body: (c) => ({ principal: 'vic', label: `by ${c}` }), ok: 201 },
      { name: 'revoke token', route: 'POST /v1/tokens/{id}/revoke', action: 'token.manage', method: 'POST', path: () => `/v1/tokens/${spareTokenId}/revoke`, body: () => ({ reason: 'rotated' }), ok: 200 },
      { name: 'grant', route: 'POST /v1/grants', action: 'token.manage', method: 'POST', path: () => '/v1/grants', body: () => ({ principal: 'vic', model: m('granted') }), ok: 201 },
      { name: 'revoke grant', route: 'POST /v1/grants/revoke', action: 'token.manage', method: 'POST', path: () => '/v1/grants/revoke', body: () => ({ principal: 'vic', model: m('granted') }), ok: 200 },
    ];

    beforeAll(async () => {
      store = await createGovernanceStore(backend.name);
      // The worker's registry is this database too: approvals and rollbacks move aliases in it.
      // Production: no dev principal, so only signed runs and decisions count as anyone.
      h = await startHarness(env, { ...store.env, SLIPWAY_DEV_PRINCIPAL: '' });
      governance = await openGovernance(h.config);
      const { access, registry } = governance;
      const rootToken = (await access.bootstrap({ admin: 'root' })).token;
      tokens.admin = rootToken;
      const root = (await access.authenticate(rootToken))!;
      for (const caller of ['viewer', 'operator', 'approver-no-grant', 'approver'] as const) {
        const { name, role } = PRINCIPALS[caller];
        await access.setPrincipal({ name, roles: [role] }, root);
        tokens[caller] = (await access.createToken({ principal: name, label: caller }, root)).token;
      }
      for (const model of [m('appr-ann'), m('rb'), m('rej-ann'), m('upd')]) await access.grant({ principal: 'ann', model, alias: 'champion' }, root);
      await access.grant({ principal: 'noah', model: m('elsewhere') }, root);
      await access.setPrincipal({ name: 'victim', roles: ['viewer'] }, root);
      spareTokenId = (await access.createToken({ principal: 'vic', label: 'spare' }, root)).info.id;

      for (const i of [1, 2, 3]) await registry.registerVersion(registration({ model: m('rb'), idempotencyKey: `rb-${i}/register` }));
      await registry.setAlias(move({ model: m('rb'), version: 3, actor: 'workflow:rb-3', reason: 'blessed' }));

      // Runs waiting for a decision. The first fills the step cache; the others reuse it.
      slipway = new SlipwayClient(env.client, { taskQueue: h.config.taskQueue, signingKey: TEST_SIGNING_KEY });
      const pending = async (key: string) => {
        waiting[key] = (await slipway.startPipeline(manual(m(key)), { idempotencyKey: `${tag}-${key}`, principal: root })).workflowId;
        for (const end = Date.now() + 180_000; (await slipway.getStatus(waiting[key]).catch(() => undefined))?.approval?.state !== 'pending'; ) {
          if (Date.now() > end) throw new Error(`run ${waiting[key]} never waited for approval`);
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      await pending('appr-ann');
      await Promise.all(['appr-root', 'rej-ann', 'rej-noah', 'rej-root', 'upd'].map(pending));
      for (const caller of ['viewer', 'operator', 'approver-no-grant', 'approver', 'admin'] as const) principals[caller] = (await access.authenticate(tokens[caller]))!;

      app = await buildApi({
        // Signs who starts and decides, as the API does with SLIPWAY_RUN_SIGNING_KEY; the worker records the signer.
        slipway: new SlipwayClient(env.client, { taskQueue: h.config.taskQueue, signingKey: TEST_SIGNING_KEY }),
        schedules: new PipelineSchedules(env.client, h.config.taskQueue, TEST_SIGNING_KEY),
        registry,
        access,
        audit: governance.audit,
        taskQueue: h.config.taskQueue,
        pipelinesDir: h.config.pipelinesDir,
        authenticator: apiAuthenticator(access),
        // The matrix presents a bad token to every endpoint from one address, far more than the
        // default 10 per minute; throttling itself is tested in test/attacks/auth-bruteforce-throttle.test.ts.
        authThrottle: new AuthFailureThrottle({ maxFailures: 1000, windowSeconds: 60 }),
      });
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      documentedRoutes = Object.entries(openapi.paths).flatMap(([route, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${route}`));

      for (const endpoint of endpoints) {
        for (const caller of CALLERS) {
          const body = endpoint.body?.(caller);
          const token = tokens[caller];
          const res = await fetch(`${base}${endpoint.path(caller)}`, {
            method: endpoint.method,
            headers: { 'user-agent': USER_AGENT, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          const text = await res.text();
          outcomes.push({ endpoint: endpoint.name, caller, status: res.status, body: text ? JSON.parse(text) : undefined, contentType: res.headers.get('content-type') });
        }
      }
    }, 600_000);

    afterAll(async () => {
      await app?.close();
      await governance?.close();
      await h?.close();
      await store?.cleanup();
    });

    it('applies the same rules to approvals sent straight to Temporal: only a signed decision by an approver with the grant counts', async () => {
      const before = { alias: await governance.registry.getAlias(m('upd'), 'champion'), audit: (await governance.audit.head()).seq };
      const send = (request: Record<string, unknown>) => env.client.workflow.getHandle(waiting.upd).executeUpdate(approveUpdate, { args: [request as never] });
      const attempt = async (request: Record<string, unknown>) => send(request).then(() => 'accepted', (err: unknown) => String((err as WorkflowUpdateFailedError).cause?.message));
      const token = (caller: Caller) => decisionToken(TEST_SIGNING_KEY, principals[caller]!, waiting.upd, 'approve');
      const rows = [
        ['unsigned "root"', await attempt({ approver: 'root', reason: 'r' })],
        ...(['viewer', 'operator', 'approver-no-grant'] as const).map((c) => [c, '']),
      ];
      for (const row of rows.slice(1)) row[1] = await attempt({ approver: row[0], reason: 'r', token: token(row[0] as Caller) });
      expect(rows.map(([c, r]) => [c, r.replace(/^.*?(needs a decision token|needs the approver role|no grant to move aliases).*$/, '$1')])).toEqual([
        ['unsigned "root"', 'needs a decision token'],
        ['viewer', 'needs the approver role'],
        ['operator', 'needs the approver role'],
        ['approver-no-grant', 'no grant to move aliases'],
      ]);
      expect(await governance.registry.getAlias(m('upd'), 'champion')).toEqual(before.alias);
      expect((await governance.audit.head()).seq).toBe(before.audit);
      expect(await send({ approver: 'x', reason: 'reviewed', token: token('approver') })).toMatchObject({ state: 'approved', decision: { approver: 'ann', verifiedBy: 'token' } });
      expect((await slipway.result(waiting.upd)).outcome).toBe('promoted');
      expect((await governance.registry.aliasHistory(m('upd'), 'champion')).at(-1)?.actor).toBe('ann');
    }, 120_000);

    it('covers every mutating route the API serves', () => {
      expect(documentedRoutes.filter((r) => !r.startsWith('GET ')).sort()).toEqual(endpoints.map((e) => e.route).sort());
    });

    it('answers every mutating endpoint × caller with the expected 2xx / 401 / 403', () => {
      const row = (o: { endpoint: string; caller: Caller; status: number }) => `${o.endpoint.padEnd(18)} ${o.caller.padEnd(18)} ${o.status}`;
      const expected = endpoints.flatMap((e) => CALLERS.map((caller) => row({ endpoint: e.name, caller, status: expectedStatus(e.action, caller, e.ok) })));
      // Any unexpected status shows with its message, so a failure says why.
      const actual = outcomes.map((o) => `${row(o)}${expected.includes(row(o)) ? '' : `  ${JSON.stringify(o.body?.message ?? o.body)}`}`);
      expect(actual).toEqual(expected);
    });

    it('refuses with problem+json bodies that name the missing role, or the missing grant', () => {
      for (const o of outcomes.filter((x) => x.status === 401 || x.status === 403)) {
        const action = endpoints.find((e) => e.name === o.endpoint)!.action;
        expect(o.contentType).toMatch(/^application\/problem\+json/);
        expect(o.body).toMatchObject({ status: o.status, action, requiredRole: ACTION_RULES[action].role });
        if (o.status === 401) expect(o.body?.detail).toMatch(/no valid API token/);
        else if (o.caller === 'approver-no-grant' && ACTION_RULES[action].aliasGrant) expect(o.body?.detail).toMatch(new RegExp(`noah has the approver role but no grant to move aliases of ${m('(appr-ann|rb|rej-noah)')}@champion`));
        else if (o.caller === 'approver-no-grant' && action === 'version.annotate') expect(o.body?.detail).toContain(`noah has the approver role but no grant on model ${m('rb')}`);
        else expect(o.body?.detail).toContain(`needs the ${ACTION_RULES[action].role} role`);
      }
    });

    it('rolled back through the rollback workflow, with the principal as actor and one audit entry per move', async () => {
      const history = await governance.registry.aliasHistory(m('rb'), 'champion');
      expect(history.map((mv) => [mv.fromVersion, mv.toVersion, mv.actor, mv.reason])).toEqual([
        [null, 3, 'workflow:rb-3', 'blessed'],
        [3, 2, 'ann', 'rollback by approver'],
        [2, 1, 'root', 'rollback by admin'],
      ]);
      const rollbacks = await governance.audit.list({ action: 'model.rollback', limit: 1000 });
      expect(rollbacks.map((e) => [e.actor, e.target, e.details.toVersion])).toEqual([
        ['ann', `model:${m('rb')}@champion`, 2],
        ['root', `model:${m('rb')}@champion`, 1],
      ]);
      for (const e of rollbacks) expect(e.origin).toMatch(new RegExp(`^temporal:rollback-${m('rb')}-[0-9a-f-]{36}/`));
    });

    it('audited every allowed call with principal, target and request origin, and nothing for refused ones', async () => {
      // Approvals promote asynchronously; wait for both to land.
      for (const key of ['appr-ann', 'appr-root']) expect((await slipway.result(waiting[key])).outcome).toBe('promoted');
      const all = await governance.audit.list({ limit: 1000 });
      // Actions on Temporal are audited write-ahead: an intent, then an outcome that links back to it.
      const outcomes = all.filter((e) => e.details.phase === 'outcome');
      for (const o of outcomes) expect(all.find((e) => e.seq === o.details.intentSeq)).toMatchObject({ action: o.action, target: o.target, details: { phase: 'intent' } });
      for (const o of outcomes) expect(o.details.outcome).toBe('succeeded');
      expect(outcomes).toHaveLength(all.filter((e) => e.details.phase === 'intent').length);
      const fromApi = all.filter((e) => e.origin.startsWith('api ') && e.details.phase !== 'outcome');
      for (const e of fromApi) expect(e.origin).toBe(`api 127.0.0.1 "${USER_AGENT}"`);
      const summary = (e: AuditEntry) => `${e.actor} ${e.action} ${e.target.replace(/^run:rollback-(.+)-[0-9a-f-]{36}$/, 'run:rollback-$1-<uuid>')}${e.reason ? ` "${e.reason}"` : ''}`;
      const started = (c: string) => `run:flight-delay-builtin-${tag}-start-${c}`;
      const tokenCreated = all.find((e) => e.action === 'token.create' && e.origin.startsWith('api '))!;
      expect(fromApi.map(summary)).toEqual([
        `otto run.start ${started('operator')}`,
        `root run.start ${started('admin')}`,
        `otto run.cancel ${started('operator')}`,
        `root run.cancel ${started('admin')}`,
        `ann run.approve run:${waiting['appr-ann']} "evaluation report reviewed"`,
        `root run.approve run:${waiting['appr-root']} "evaluation report reviewed"`,
        `ann run.reject run:${waiting['rej-ann']} "latency budget not met"`,
        `root run.reject run:${waiting['rej-root']} "latency budget not met"`,
        `ann run.start run:rollback-${m('rb')}-<uuid> "rollback by approver"`,
        `root run.start run:rollback-${m('rb')}-<uuid> "rollback by admin"`,
        // Tags are audited by the registry in the tag's own transaction, with the request's origin.
        `ann version.annotate model:${m('rb')}/v3 "tag by approver"`,
        `root version.annotate model:${m('rb')}/v3 "tag by admin"`,
        ...['create', 'pause', 'unpause', 'trigger', 'backfill', 'delete'].map(() => `root schedule.change schedule:${m('sched')}`),
        'root principal.change principal:new-admin "new hire"',
        'root principal.change principal:victim',
        `root token.create ${tokenCreated.target}`,
        `root token.revoke token:${spareTokenId} "rotated"`,
        'root grant.change principal:vic',
        'root grant.change principal:vic',
      ]);
      expect(fromApi.filter((e) => e.action === 'schedule.change').map((e) => e.details.operation)).toEqual(['create', 'pause', 'unpause', 'trigger', 'backfill', 'delete']);
      expect(all.filter((e) => e.actor === 'vic')).toEqual([]);
      // The promotions the approvals caused are audited once, by the registry, with the approver as actor.
      const promotions = all.filter((e) => e.action === 'model.promote' && [m('appr-ann'), m('appr-root')].some((x) => e.target === `model:${x}@champion`));
      expect(promotions.map((e) => [e.actor, e.target])).toEqual(
        expect.arrayContaining([
          ['ann', `model:${m('appr-ann')}@champion`],
          ['root', `model:${m('appr-root')}@champion`],
        ]),
      );
      expect(promotions).toHaveLength(2);
      expect(await governance.audit.verify()).toMatchObject({ ok: true, checked: all.length });
    });
  });
}
