/**
 * The console's quarantined batches on the Data page, through the real API app (Fastify inject)
 * on a real SQLite governance store with real tokens: an approver with a grant on the model's
 * champion sees release/discard forms and releases a batch (recorded and audited once by the
 * store); a viewer and an approver without the grant see no forms and are refused with 403,
 * the batch and the audit log unchanged. No Temporal call is made by these routes: the client
 * is constructed lazily and never connects.
 */
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { buildApi } from '../../src/api/server';
import { consoleRoutes } from '../../src/console/console-routes';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { createGovernanceStore, type GovernanceStore } from '../governance/governance-store';
import { artifact } from '../support/registry-test-fixtures';
import { addPrincipals } from '../support/principals';

const MODEL = 'churn';
const DIGEST = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const batch = (dataDigest: string) => ({
  model: MODEL,
  dataDigest,
  workflowId: `wf-${dataDigest.slice(0, 4)}`,
  runId: 'r1',
  snapshots: { train: artifact('train'), holdout: artifact('holdout') },
  report: `artifact://sha256/${'c'.repeat(64)}`,
  reportHtml: `artifact://sha256/${'d'.repeat(64)}`,
  failed: ['labelConsistency(origin)'],
  findings: [{ check: 'labelConsistency', where: 'origin = ATL' }],
});

describe('quarantined batches in the console', () => {
  let store: GovernanceStore;
  let governance: Governance;
  let app: Awaited<ReturnType<typeof buildApi>>;
  const tokens: Record<'viewer' | 'noGrant' | 'approver', string> = { viewer: '', noGrant: '', approver: '' };

  beforeAll(async () => {
    store = await createGovernanceStore('sqlite');
    governance = await openGovernance({ registryPath: store.env.SLIPWAY_REGISTRY_PATH });
    const { access } = governance;
    const root = (await access.authenticate((await access.bootstrap({ admin: 'root' })).token))!;
    await addPrincipals(access, root, tokens, [['viewer', 'vic', 'viewer'], ['noGrant', 'noah', 'approver'], ['approver', 'ann', 'approver']] as const);
    await access.grant({ principal: 'ann', model: MODEL, alias: 'champion' }, root);
    await access.grant({ principal: 'noah', model: 'elsewhere', alias: 'champion' }, root);
    await governance.quarantine.quarantine(batch(DIGEST));
    await governance.quarantine.quarantine(batch(OTHER));
    const temporal = new Client(); // lazy: never connects, the quarantine routes do not touch Temporal
    const deps = {
      slipway: new SlipwayClient(temporal, { taskQueue: 'console-quarantine' }),
      schedules: new PipelineSchedules(temporal, 'console-quarantine'),
      registry: governance.registry,
      access: governance.access,
      audit: governance.audit,
      quarantine: governance.quarantine,
      authenticator: apiAuthenticator(governance.access),
      taskQueue: 'console-quarantine',
      pipelinesDir: 'pipelines',
    };
    app = await buildApi({ ...deps, routes: [consoleRoutes(deps)] });
  });
  afterAll(async () => {
    await app?.close();
    await governance?.close();
    await store?.cleanup();
  });

  const cookie = (token: string) => `slipway_session=${encodeURIComponent(token)}`;
  const signIn = async (token: string) => {
    const res = await app.inject({ method: 'POST', url: '/ui/login', payload: `token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(303);
    const set = String(res.headers['set-cookie']);
    return set.split(';')[0];
  };
  const dataPage = async (session: string) => {
    const res = await app.inject({ method: 'GET', url: `/ui/data?model=${MODEL}`, headers: { cookie: session } });
    expect(res.statusCode).toBe(200);
    return res.body;
  };
  const csrfOf = (body: string) => body.match(/name="_csrf" value="([^"]+)"/)![1];
  const decide = (session: string, csrf: string, digest: string, decision: 'release' | 'discard', reason = 'checked with the data owner') =>
    app.inject({
      method: 'POST',
      url: `/ui/data/${MODEL}/quarantine/${digest}/${decision}`,
      payload: new URLSearchParams({ _csrf: csrf, reason }).toString(),
      headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
    });
  const decisionsAudited = async () => [...(await governance.audit.list({ action: 'data.release' })), ...(await governance.audit.list({ action: 'data.discard' }))];

  it('shows a viewer and an approver without a grant the batches but no forms, and refuses their posts with nothing changed', async () => {
    for (const token of [tokens.viewer, tokens.noGrant]) {
      const session = await signIn(token);
      expect(session).toBe(cookie(token));
      const body = await dataPage(session);
      expect(body).toContain('Quarantined batches');
      expect(body).toContain(DIGEST.slice(0, 12));
      expect(body).toContain('labelConsistency(origin)');
      expect(body).not.toContain('/quarantine/');
      for (const decision of ['release', 'discard'] as const) {
        const res = await decide(session, csrfOf(body), DIGEST, decision);
        expect(res.statusCode).toBe(403);
      }
    }
    expect(await governance.quarantine.get(MODEL, DIGEST)).toMatchObject({ state: 'quarantined', decision: null });
    expect(await decisionsAudited()).toEqual([]);
  });

  it('lets an approver with a grant release a batch, recorded and audited once, and refuses a forged or reasonless form', async () => {
    const session = await signIn(tokens.approver);
    const body = await dataPage(session);
    expect(body).toContain(`action="/ui/data/${MODEL}/quarantine/${DIGEST}/release"`);
    expect(body).toContain(`action="/ui/data/${MODEL}/quarantine/${DIGEST}/discard"`);

    expect((await decide(session, 'forged', DIGEST, 'release')).statusCode).toBe(403);
    expect((await decide(session, csrfOf(body), DIGEST, 'release', '  ')).statusCode).toBe(400);
    expect(await governance.quarantine.get(MODEL, DIGEST)).toMatchObject({ state: 'quarantined' });

    const released = await decide(session, csrfOf(body), DIGEST, 'release');
    expect(released.statusCode).toBe(303);
    expect(released.headers.location).toBe(`/ui/data?model=${MODEL}`);
    expect(await governance.quarantine.get(MODEL, DIGEST)).toMatchObject({ state: 'released', decision: { by: 'ann', reason: 'checked with the data owner' } });
    const audited = await decisionsAudited();
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ action: 'data.release', actor: 'ann', reason: 'checked with the data owner' });
    expect(audited[0].origin).toMatch(/^console /);

    // Decided once: a second decision is a conflict, and the page shows the decision instead of forms.
    expect((await decide(session, csrfOf(body), DIGEST, 'discard')).statusCode).toBe(409);
    expect((await decide(session, csrfOf(body), 'f'.repeat(64), 'discard')).statusCode).toBe(404);
    const after = await dataPage(session);
    expect(after).not.toContain(`/quarantine/${DIGEST}/`);
    expect(after).toContain(`/quarantine/${OTHER}/discard`);
    expect(after).toContain('ann: checked with the data owner');
    expect(await decisionsAudited()).toHaveLength(1);
  });
});
