/**
 * Tainted data through the real pipeline on the real dev server: a champion trained on clean
 * days of January 2001, then poisoned copies of those days (labels flipped across the batch or
 * inside one origin airport, a trigger value paired with one label, duplicated rows). Each must
 * stop at validation with the batch quarantined, nothing trained or registered and the
 * champion unchanged. Over the real HTTP API, an approver without a grant cannot release it;
 * one with a grant can, after which a re-run trains on it and the model's lineage says who
 * released it and why. A discarded batch keeps failing; a clean window passes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { buildApi } from '../../src/api/server';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { createArtifactStore } from '../../src/artifacts/create-artifact-store';
import { parseArtifactUri } from '../../src/artifacts/artifact-uri';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { purgingOnDiscard, sweepQuarantine, type PurgeDeps } from '../../src/registry/quarantine-purge';
import { defaultReferenceSources } from '../../src/registry/reference-sources';
import { versionLineage } from '../../src/registry/lineage';
import { statusQuery } from '../../src/workflows/definitions';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { runExpectingQuarantine } from '../support/expect-quarantine';
import { startDevServer } from '../helpers/temporal-env';
import { flightsPipelineSpec, ingestParams } from './flight-files';
import { busiestDelayedOrigin, TRIGGER_DISTANCE, writePoisonedFlights, type Poison } from './poisoned-flights';
import { addPrincipals } from '../support/principals';

const MODEL = 'flights-tainted';
const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'slipway');
/** Three days of January 2001: about 50,000 flights. */
const DAYS = { from: '2001-01-08', to: '2001-01-11' };

function spec(file: string, window = DAYS) {
  return flightsPipelineSpec('flights-tainted', MODEL, ingestParams(file, window));
}

describe('tainted data is stopped and quarantined before training (real dev server, real API)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let governance: Governance;
  let dir: string;
  let api: string;
  let app: Awaited<ReturnType<typeof buildApi>>;
  const tokens: Record<'viewer' | 'noGrant' | 'approver' | 'admin', string> = { viewer: '', noGrant: '', approver: '', admin: '' };
  const quarantined: Record<string, string> = {};
  let purge: PurgeDeps;
  const file = (name: string) => path.join(dir, `${name}.parquet`);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-tainted-e2e-'));
    env = await startDevServer();
    h = await startHarness(env);
    governance = await openGovernance(h.config);
    const { access } = governance;
    tokens.admin = (await access.bootstrap({ admin: 'root' })).token;
    const root = (await access.authenticate(tokens.admin))!;
    await addPrincipals(access, root, tokens, [['viewer', 'vic', 'viewer'], ['noGrant', 'noah', 'approver'], ['approver', 'ann', 'approver']] as const);
    await access.grant({ principal: 'ann', model: MODEL, alias: 'champion' }, root);
    await access.grant({ principal: 'noah', model: 'another-model', alias: 'champion' }, root);
    // As src/api/main.ts wires it: a discard through the API purges the batch's bytes from the worker's store.
    purge = { quarantine: governance.quarantine, store: createArtifactStore(h.config), sources: defaultReferenceSources(governance.quarantine, h.config.dataDir) };
    app = await buildApi({
      slipway: new SlipwayClient(env.client, { taskQueue: h.config.taskQueue }),
      schedules: new PipelineSchedules(env.client, h.config.taskQueue),
      registry: governance.registry,
      access,
      audit: governance.audit,
      quarantine: purgingOnDiscard(purge, (err) => {
        throw err;
      }),
      taskQueue: h.config.taskQueue,
      pipelinesDir: h.config.pipelinesDir,
      authenticator: apiAuthenticator(access),
    });
    api = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await governance?.close();
    await h?.close();
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const start = (input: unknown) =>
    env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId: `tainted-${Math.random().toString(36).slice(2)}`, args: [input] });

  const call = (method: 'GET' | 'POST', route: string, token: string, body?: unknown) =>
    fetch(`${api}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  /** Runs a batch that must stop at validation; checks nothing was trained or registered and the batch is quarantined. */
  async function mustQuarantine(name: string, poison: Poison): Promise<ApplicationFailure> {
    const { failure, dataDigest } = await runExpectingQuarantine(governance, MODEL, async () => start({ spec: spec(await writePoisonedFlights(file(name), DAYS, poison)) }));
    expect(failure.message).toContain(`quarantined as ${dataDigest}`);
    quarantined[name] = dataDigest;
    return failure;
  }

  it('trains a first champion on clean days', async () => {
    const result = (await (await start({ spec: spec(await writePoisonedFlights(file('clean'), DAYS, { kind: 'clean' })) })).result()) as PipelineResult;
    expect(result.outcome).toBe('promoted');
    const champion = await governance.registry.getAlias(MODEL, 'champion');
    expect(champion?.lineage.holdoutData).toEqual(result.outputs.ingest.artifacts.holdout);
  });

  // Against the champion trained on the same days clean, so the poison is the only difference (the next test promotes another).
  it('stops 20% of delayed flights relabelled on time with a spread of ordinary on-time delays (no spike to see, labels still within the champion\'s range): rows moved across the threshold', async () => {
    const failure = await mustQuarantine('flip-global-plausible', { kind: 'flipGlobalPlausible', share: 0.2 });
    expect(failure.message).toMatch(/labelSourceBoundary\(delay\): in the batch \([\d,]+ rows\), delay -?\d+\.\.15 \(label 0\) and 16\.\.\d+ \(label 1\): [\d,]+ vs [\d,]+ rows, where the reference has [\d,]+ vs [\d,]+; the density at the threshold on the label-0 side, relative to the label-1 side, is ×[\d.]+ the reference's \(p = [\d.e+-]+\): rows moved across the threshold toward label 0/);
    expect(failure.message).not.toMatch(/labelSourceSpikes|labelConsistency \(global\)/);
  });

  it('passes a clean window of the following days against the champion, its predictions agreeing with the labels', async () => {
    const next = { from: '2001-01-11', to: '2001-01-13' };
    const handle = await start({ spec: spec(await writePoisonedFlights(file('clean-next'), next, { kind: 'clean' }), next) });
    await handle.result();
    const validate = (await handle.query(statusQuery)).steps.find((s) => s.id === 'validate')!.summary!;
    expect(validate).toMatchObject({ passed: true, poisoning: { basis: 'champion' } });
    expect(validate.findings).toBeUndefined();
  });

  it('stops labels flipped across the batch (70% of delayed flights relabelled on time)', async () => {
    const failure = await mustQuarantine('flip-global', { kind: 'flipGlobal', share: 0.7 });
    expect(failure.message).toMatch(/labelConsistency \(global\): positive rate [\d.]+% where the champion's predictions expect [\d.]+%/);
  });

  it('stops 10% of delayed flights relabelled on time by rewriting their delay to 0, which the label rate alone cannot tell from a calm week', async () => {
    const failure = await mustQuarantine('flip-global-weak', { kind: 'flipGlobal', share: 0.1 });
    expect(failure.message).toMatch(/labelSourceSpikes\(delay\): [\d,]+ rows of the batch \([\d,]+ rows\) have delay = 0 where its neighbouring values and the reference predict [\d,]+, ratio [\d.]+/);
    expect(failure.message).not.toMatch(/labelConsistency \(global\)/);
  });

  it('stops labels flipped inside one origin airport, naming the slice with observed vs expected, rows and p-value', async () => {
    const target = await busiestDelayedOrigin(DAYS, 1000);
    const failure = await mustQuarantine('flip-origin', { kind: 'flipOrigin', origin: target.origin, share: 1 });
    expect(failure.message).toMatch(new RegExp(`labelConsistency\\(origin\\): slice origin = ${target.origin} has positive rate 0% where .* expects [\\d.]+%, ratio 0 over [\\d,]+ rows, p = `));
    const details = failure.details?.[0] as { findings: Array<{ check: string; where: string; rows: number }> };
    expect(details.findings).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'labelConsistency', where: `origin = ${target.origin}`, rows: expect.any(Number) })]));
  });

  it('stops a trigger value on 1% of rows paired with one label', async () => {
    const failure = await mustQuarantine('trigger', { kind: 'trigger', share: 0.01 });
    expect(failure.message).toMatch(new RegExp(`triggerPatterns\\(distance\\): distance = ${TRIGGER_DISTANCE}(\\.0)? is on [\\d.]+% of rows \\([\\d,]+\\), a value none of the reference's [\\d,]+ rows has, and 0% of its rows are positive`));
  });

  it('stops 10% duplicated rows', async () => {
    const failure = await mustQuarantine('duplicates', { kind: 'duplicates', share: 0.1 });
    expect(failure.message).toMatch(/duplicateRows: /);
  });

  it('lists quarantined batches to viewers, refuses a release without the grant and changes nothing', async () => {
    const digest = quarantined['flip-origin'];
    const listed = await call('GET', `/v1/models/${MODEL}/quarantine?state=quarantined`, tokens.viewer);
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { batches: Array<{ dataDigest: string }> }).batches.map((b) => b.dataDigest)).toEqual(expect.arrayContaining(Object.values(quarantined)));
    const auditBefore = await governance.audit.list({ action: 'data.release' });
    for (const token of [tokens.viewer, tokens.noGrant]) {
      const res = await call('POST', `/v1/models/${MODEL}/quarantine/${digest}/release`, token, { reason: 'looks fine to me' });
      expect(res.status).toBe(403);
    }
    expect(await governance.quarantine.get(MODEL, digest)).toMatchObject({ state: 'quarantined', decision: null });
    expect(await governance.audit.list({ action: 'data.release' })).toEqual(auditBefore);
    // A release needs a reason.
    expect((await call('POST', `/v1/models/${MODEL}/quarantine/${digest}/release`, tokens.approver, { reason: ' ' })).status).toBe(400);
    expect(await governance.quarantine.get(MODEL, digest)).toMatchObject({ state: 'quarantined' });
  });

  it('lets an approver with a grant release a batch: audited, a re-run trains on it, and the lineage records the release', async () => {
    const digest = quarantined['flip-origin'];
    const reason = 'the airline confirmed a data migration reset delay codes at this airport; accepted for this window';
    const res = await call('POST', `/v1/models/${MODEL}/quarantine/${digest}/release`, tokens.approver, { reason });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'released', decision: { by: 'ann', reason } });
    const [entry] = await governance.audit.list({ action: 'data.release', target: `model:${MODEL}/batch:${digest}` });
    expect(entry).toMatchObject({ actor: 'ann', reason });
    // Released once: a second decision conflicts.
    expect((await call('POST', `/v1/models/${MODEL}/quarantine/${digest}/discard`, tokens.admin, { reason: 'changed my mind' })).status).toBe(409);

    const handle = await start({ spec: spec(file('flip-origin')) });
    const result = (await handle.result()) as PipelineResult;
    const validate = result.steps.find((s) => s.id === 'validate')!.summary!;
    expect(validate).toMatchObject({ passed: true, release: { dataDigest: digest, by: 'ann', reason } });
    expect(validate.warningMessages).toEqual(expect.arrayContaining([expect.stringMatching(/^labelConsistency\(origin\): .*\[accepted: batch released by ann: /)]));
    const version = Number(result.steps.find((s) => s.id === 'register')!.summary!.version);
    const lineage = await versionLineage(governance.registry, MODEL, version);
    expect(lineage?.validation.release).toMatchObject({ dataDigest: digest, by: 'ann', reason });
  });

  it('does the same from the CLI: lists for a viewer, refuses a release without the grant, discards with a grant', async () => {
    const { SLIPWAY_TOKEN: _t, SLIPWAY_REGISTRY_URL: _u, SLIPWAY_REGISTRY_PATH: _p, ...inherited } = process.env;
    const slipway = (args: string[], token: string) =>
      run(BIN, args, { env: { ...inherited, SLIPWAY_DATA_DIR: h.dataDir, SLIPWAY_TOKEN: token }, timeout: 60_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const listed = await slipway(['data', 'quarantine', MODEL, '--state', 'quarantined', '--json'], tokens.viewer);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ dataDigest: string }>).map((b) => b.dataDigest)).toContain(quarantined.duplicates);
    const refused = await slipway(['data', 'release', MODEL, quarantined.duplicates, '--reason', 'fine'], tokens.noGrant);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/noah has the approver role but no grant/);
    expect(await governance.quarantine.get(MODEL, quarantined.duplicates)).toMatchObject({ state: 'quarantined', decision: null });
    const discarded = await slipway(['data', 'discard', MODEL, quarantined.duplicates, '--reason', 'replayed partition', '--json'], tokens.approver);
    expect(discarded.code).toBe(0);
    expect(JSON.parse(discarded.stdout)).toMatchObject({ state: 'discarded', decision: { by: 'ann', reason: 'replayed partition' } });
    expect(await governance.audit.list({ action: 'data.discard', target: `model:${MODEL}/batch:${quarantined.duplicates}` })).toEqual([
      expect.objectContaining({ actor: 'ann', origin: 'cli' }),
    ]);
    // Discard means the tainted bytes go: both snapshots leave the worker's store, the report stays as evidence.
    const batch = (await governance.quarantine.get(MODEL, quarantined.duplicates))!;
    const store = createArtifactStore(h.config);
    expect(JSON.parse(discarded.stdout).purge).toMatchObject({ kept: [], gone: [] });
    expect(await store.sizeOf(batch.snapshots.train.sha256)).toBeUndefined();
    expect(await store.sizeOf(batch.snapshots.holdout.sha256)).toBeUndefined();
    expect(await store.sizeOf(parseArtifactUri(batch.report))).toBeGreaterThan(0);
    expect(await governance.audit.list({ action: 'data.purge', target: `model:${MODEL}/batch:${quarantined.duplicates}` })).toEqual([
      expect.objectContaining({ actor: 'ann', origin: 'cli' }),
    ]);
  });

  it('keeps refusing a discarded batch', async () => {
    const digest = quarantined.trigger;
    expect((await call('POST', `/v1/models/${MODEL}/quarantine/${digest}/discard`, tokens.admin, { reason: 'backdoor attempt, reported to security' })).status).toBe(200);
    const before = await governance.registry.listVersions(MODEL);
    const err = await (await start({ spec: spec(file('trigger')) })).result().catch((e: unknown) => e);
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('DataValidationFailed');
    expect(failure.message).toMatch(/it was quarantined and then discarded by root at .* \(backdoor attempt, reported to security\)/);
    expect(await governance.registry.listVersions(MODEL)).toEqual(before);
    // The re-run stored the discarded bytes again before validation refused it; the refusal is audited
    // and the next sweep deletes them again.
    const batch = (await governance.quarantine.get(MODEL, digest))!;
    const target = `model:${MODEL}/batch:${digest}`;
    expect(await governance.audit.list({ action: 'data.refuse', target })).toHaveLength(1);
    expect(await purge.store.sizeOf(batch.snapshots.train.sha256)).toBeGreaterThan(0);
    const swept = await sweepQuarantine(purge, { retentionMs: 30 * 86_400_000, retentionText: '30d', expiry: 'discard' });
    expect(swept.purged).toMatchObject([{ dataDigest: digest, again: true, audited: true, kept: [] }]);
    expect(await purge.store.sizeOf(batch.snapshots.train.sha256)).toBeUndefined();
    expect(await purge.store.sizeOf(batch.snapshots.holdout.sha256)).toBeUndefined();
    expect((await governance.audit.list({ action: 'data.purge', target })).map((e) => e.actor)).toEqual(['root', 'system:quarantine-sweep']);
  });
});
