/**
 * Discarding through the real API app (Fastify inject) purges the batch's bytes from a real local
 * artifact store, on a real SQLite governance store with real tokens; the admin-only sweep route;
 * and the refusals (no grant, not an admin), each leaving the files, the rows and the audit head
 * as they were. The routes never touch Temporal: its client is lazy and never connects.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { buildApi } from '../../src/api/server';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { purgingOnDiscard, sweepQuarantine, SWEEP_ACTOR } from '../../src/registry/quarantine-purge';
import { defaultReferenceSources } from '../../src/registry/reference-sources';
import { createGovernanceStore, type GovernanceStore } from './governance-store';
import { stopBatch, type StoppedBatch } from '../support/quarantine-fixtures';

const MODEL = 'churn';
const DAY = 86_400_000;

describe('purging discarded batches through the API', () => {
  let store: GovernanceStore;
  let governance: Governance;
  let dir: string;
  let artifacts: LocalArtifactStore;
  let app: Awaited<ReturnType<typeof buildApi>>;
  let first: StoppedBatch;
  let second: StoppedBatch;
  const tokens: Record<'viewer' | 'noGrant' | 'approver' | 'admin', string> = { viewer: '', noGrant: '', approver: '', admin: '' };

  beforeAll(async () => {
    store = await createGovernanceStore('sqlite');
    governance = await openGovernance({ registryPath: store.env.SLIPWAY_REGISTRY_PATH });
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-purge-api-'));
    artifacts = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
    const { access } = governance;
    tokens.admin = (await access.bootstrap({ admin: 'root' })).token;
    const root = (await access.authenticate(tokens.admin))!;
    for (const [key, name, role] of [['viewer', 'vic', 'viewer'], ['noGrant', 'noah', 'approver'], ['approver', 'ann', 'approver']] as const) {
      await access.setPrincipal({ name, roles: [role] }, root);
      tokens[key] = (await access.createToken({ principal: name, label: key }, root)).token;
    }
    await access.grant({ principal: 'ann', model: MODEL, alias: 'champion' }, root);
    await access.grant({ principal: 'noah', model: 'elsewhere', alias: 'champion' }, root);
    first = await stopBatch(artifacts, governance.quarantine, dir, { model: MODEL, seed: 'first' });
    second = await stopBatch(artifacts, governance.quarantine, dir, { model: MODEL, seed: 'second' });
    const purge = { quarantine: governance.quarantine, store: artifacts, sources: defaultReferenceSources(governance.quarantine, dir) };
    const temporal = new Client();
    app = await buildApi({
      slipway: new SlipwayClient(temporal, { taskQueue: 'purge-api' }),
      schedules: new PipelineSchedules(temporal, 'purge-api'),
      registry: governance.registry,
      access: governance.access,
      audit: governance.audit,
      quarantine: purgingOnDiscard(purge, (err) => {
        throw err;
      }),
      // As if the sweep ran 31 days from now: both batches are then past the 30-day retention.
      quarantineSweep: () => sweepQuarantine(purge, { retentionMs: 30 * DAY, retentionText: '30d', expiry: 'discard', now: () => new Date(Date.now() + 31 * DAY) }),
      authenticator: apiAuthenticator(governance.access),
      taskQueue: 'purge-api',
      pipelinesDir: 'pipelines',
    });
  });
  afterAll(async () => {
    await app?.close();
    await governance?.close();
    await store?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const post = (token: string, url: string, payload?: unknown) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const discardUrl = (b: StoppedBatch) => `/v1/models/${MODEL}/quarantine/${b.batch.dataDigest}/discard`;
  const stored = async (b: StoppedBatch) => Promise.all([b.train, b.holdout, b.counts, b.report].map(async (r) => (await artifacts.sizeOf(r.sha256)) !== undefined));

  it('refuses a discard without the grant and a sweep by anyone but an admin, changing nothing', async () => {
    const head = await governance.audit.head();
    const rows = await governance.quarantine.list();
    expect((await post(tokens.noGrant, discardUrl(first), { reason: 'looks wrong' })).statusCode).toBe(403);
    expect((await post(tokens.viewer, discardUrl(first), { reason: 'looks wrong' })).statusCode).toBe(403);
    for (const token of [tokens.viewer, tokens.noGrant, tokens.approver]) expect((await post(token, '/v1/quarantine/sweep')).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/v1/quarantine/sweep' })).statusCode).toBe(401);
    // A discard without a reason is refused before anything is decided or deleted.
    expect((await post(tokens.approver, discardUrl(first), { reason: ' ' })).statusCode).toBe(400);
    expect(await stored(first)).toEqual([true, true, true, true]);
    expect(await stored(second)).toEqual([true, true, true, true]);
    expect(await governance.quarantine.list()).toEqual(rows);
    expect(await governance.audit.head()).toEqual(head);
  });

  it("lets an approver with the grant discard a batch, which deletes its snapshots and keeps its report", async () => {
    const res = await post(tokens.approver, discardUrl(first), { reason: 'labels flipped at ATL' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'discarded', decision: { by: 'ann' } });
    expect(await stored(first)).toEqual([false, false, false, true]);
    const [purge] = await governance.audit.list({ action: 'data.purge' });
    expect(purge).toMatchObject({ actor: 'ann', target: `model:${MODEL}/batch:${first.batch.dataDigest}` });
    expect(purge.details.deleted).toHaveLength(3);
  });

  it('lets an admin run the sweep, which discards what is past the retention and purges it', async () => {
    const res = await post(tokens.admin, '/v1/quarantine/sweep');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ expired: [{ model: MODEL, dataDigest: second.batch.dataDigest }], purged: [{ dataDigest: second.batch.dataDigest, actor: SWEEP_ACTOR }], failed: [] });
    expect(await stored(second)).toEqual([false, false, false, true]);
    expect((await governance.audit.list({ action: 'data.purge' })).map((e) => e.actor).sort()).toEqual(['ann', SWEEP_ACTOR]);
  });
});
