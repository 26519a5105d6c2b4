/**
 * The web console in Debian's Chromium against a real stack: a Temporal dev server, a worker,
 * a model server process and the API, after real pipeline runs on ten days of flights. Every
 * page shows real data and passes axe-core; compare shows two real versions; a canary's page
 * updates while it runs; approve and abort work for an approver and are refused for a viewer
 * (buttons absent, the server answering 403); a finished canary links its JSON report; tags are
 * set and removed on a real version, quarantined batches released and discarded, and a run
 * started from an uploaded spec file, each refused for a viewer with nothing changed; the audit
 * page lists every action taken here; a continuous-training workflow's check shows on its page. One stack for all of it: each extra stack costs a dev
 * server, a worker and a browser. Screenshots of each page go to docs/console/.
 */
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server';
import { consoleRoutes } from '../../src/console/console-routes';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { createArtifactStore } from '../../src/artifacts/create-artifact-store';
import { HttpServingAdmin } from '../../src/serving/http-serving-admin';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { loadFlightTraffic, replayTraffic } from '../../tools/replay-traffic';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { canaryStatusQuery, continuousTrainingStatusQuery } from '../../src/workflows/definitions';
import { startCanaryWorld, type CanaryWorld } from '../serving/canary-fixtures';
import { artifact } from '../support/registry-test-fixtures';
import { ADMIN_TOKEN, LABELER_TOKEN } from '../serving/serving-fixtures';
import { axeViolations, launchChromium, SHOTS, signIn as signInAs } from './console-browser';

const MODEL = 'flight-delay';
const WINDOW = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } };
// Fixed holds (one analysis per step): this test is about the console, and a fixed hold bounds its time
// (a sequential hold waits for evidence, up to a minute per step, which under a loaded CI ran past the hook's limit).
// A sequential hold looks every 3 s and decides as soon as the sample allows: quick on a quiet machine, and on a
// loaded CI it waits for the labels (up to a minute) instead of calling one short interval inconclusive.
const FAST_CANARY = { canary: { steps: [50, 100], interval: '3s', analysis: { minRequests: 20, minLabels: 30 }, hold: { maxDuration: '60s' }, decisionTimeout: '1 minute' } };

let cw: CanaryWorld;
let governance: Governance;
let app: Awaited<ReturnType<typeof buildApi>>;
let base: string;
let browser: Browser;
const tokens = { admin: '', ann: '', vic: '' };
/** Every action the test takes, as the audit log should show it: [action, target]. */
const actions: [string, string][] = [];
/** The champion after the two runs: v2 when its canary passed, else v1. */
let champion: number;

beforeAll(async () => {
  cw = await startCanaryWorld();
  governance = await openGovernance(cw.harness.config);
  const root = await governance.access.bootstrap({ admin: 'root' });
  tokens.admin = root.token;
  const rootPrincipal = (await governance.access.authenticate(root.token))!;
  await governance.access.setPrincipal({ name: 'ann', roles: ['operator', 'approver'] }, rootPrincipal);
  await governance.access.grant({ principal: 'ann', model: '*', alias: '*' }, rootPrincipal);
  await governance.access.setPrincipal({ name: 'vic', roles: ['viewer'] }, rootPrincipal);
  tokens.ann = (await governance.access.createToken({ principal: 'ann', label: 'console test' }, rootPrincipal)).token;
  tokens.vic = (await governance.access.createToken({ principal: 'vic', label: 'console test' }, rootPrincipal)).token;
  const config = cw.harness.config;
  const deps = {
    slipway: new SlipwayClient(cw.env.client, { taskQueue: config.taskQueue, uiUrl: 'http://localhost:8233' }),
    schedules: new PipelineSchedules(cw.env.client, config.taskQueue),
    registry: governance.registry,
    access: governance.access,
    audit: governance.audit,
    quarantine: governance.quarantine,
    taskQueue: config.taskQueue,
    pipelinesDir: config.pipelinesDir,
    dataRoots: config.dataRoots.roots,
    authenticator: apiAuthenticator(governance.access),
    artifacts: createArtifactStore(config),
  };
  app = await buildApi({ ...deps, routes: [consoleRoutes({ ...deps, serving: new HttpServingAdmin(cw.base, ADMIN_TOKEN, 5_000) })] });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();

  // Two real versions: the first promoted without a canary, the second canaried on replayed flights.
  await run({}, 'console-v1');
  const traffic = await loadFlightTraffic({ from: '2001-03-10', to: '2001-03-12' });
  const controller = new AbortController();
  const replay = replayTraffic({ baseUrl: cw.base, model: MODEL, traffic, rate: 100, feedbackDelayMs: 300, labelerToken: LABELER_TOKEN, callers: 200, signal: controller.signal });
  const second = await run({ ...FAST_CANARY, train: { params: { epochs: 3, seed: 11 } } }, 'console-v2').finally(() => controller.abort());
  await replay;
  // Live traffic decides the canary, so v2 may be promoted or rolled back; the pages show either.
  expect(['promoted', 'rejected']).toContain(second.outcome);
  champion = (await governance.registry.getAlias(MODEL, 'champion'))!.version;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await governance?.close();
  await cw?.close();
});

function run(overrides: Record<string, unknown>, id: string): Promise<PipelineResult> {
  return cw.env.client.workflow.execute('pipeline', {
    taskQueue: cw.harness.config.taskQueue,
    workflowId: id,
    args: [{ pipeline: 'flight-delay-canary', overrides: { ...WINDOW, ...FAST_CANARY, ...overrides } }],
  });
}

const signIn = (token: string): Promise<BrowserContext> => signInAs(browser, base, token);

async function visit(page: Page, url: string, shot?: string): Promise<string> {
  const response = await page.goto(`${base}${url}`);
  expect(response?.status(), url).toBe(200);
  expect((await axeViolations(page)).join('\n'), url).toBe('');
  if (shot) await page.screenshot({ path: path.join(SHOTS, `${shot}.png`) });
  return page.locator('main').innerText();
}

const api = async (method: string, url: string, token: string, body?: unknown) => {
  const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.text() };
};

describe('Slipway console', () => {
  it('signs in with a token kept in an httpOnly SameSite=Strict cookie, never in the URL, and refuses a wrong one', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/ui/models`);
    expect(page.url()).toBe(`${base}/ui/login`);
    await page.getByLabel('API token').fill('slw_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('[role=alert]').innerText()).toContain('not accepted');
    await page.close();

    const context = await signIn(tokens.vic);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'slipway_session', httpOnly: true, sameSite: 'Strict', path: '/ui' });
    const p = await context.newPage();
    const res = await p.goto(`${base}/ui/models`);
    expect(p.url()).not.toContain(tokens.vic);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await context.close();
  }, 60_000);

  it('shows every page with real data and no serious accessibility violation', async () => {
    const context = await signIn(tokens.vic);
    const page = await context.newPage();
    const v2 = (await governance.registry.getVersion(MODEL, 2))!;

    const models = await visit(page, '/ui/models', 'models');
    expect(models).toMatch(new RegExp(`flight-delay\\s+v${champion}`));
    expect(models).toMatch(/AUC \d\.\d{3} · \d+ labels/);

    const detail = await visit(page, `/ui/models/${MODEL}`, 'model');
    expect(detail).toContain('Versions (2)');
    expect(await page.locator('figure.chart svg').count()).toBe(1);
    // Alias moves are recorded as the person the run acts for (here the dev principal), with the run in the reason.
    if (champion === 2) expect(detail).toMatch(/champion v1 → v2 by dev:local .*run console-v2 started by dev:local/);
    else expect(detail).toMatch(/champion set v1 by dev:local .*run console-v1 started by dev:local/);

    const version = await visit(page, `/ui/models/${MODEL}/versions/2`, 'version');
    expect(version).toContain('Model card: flight-delay v2');
    expect(version).toContain(v2.lineage.dataDigest.slice(0, 12));
    // The evaluation report is served by the artifact route with its media type.
    const report = await page.locator('a', { hasText: 'report' }).nth(1).getAttribute('href');
    const served = await context.request.get(`${base}${report}`);
    expect(served.headers()['content-type']).toBe('application/json');
    expect(await served.json()).toMatchObject({ kind: 'evaluation-report', model: MODEL });
    // The API serves the same artifacts by bearer token: the model file as ONNX; nothing a version does not own.
    const modelFile = await fetch(`${base}/v1/artifacts/${v2.artifact.sha256}`, { headers: { authorization: `Bearer ${tokens.vic}` } });
    expect(modelFile.headers.get('content-type')).toBe('application/onnx');
    expect((await modelFile.arrayBuffer()).byteLength).toBe(v2.artifact.bytes);
    expect((await api('GET', `/v1/artifacts/${'0'.repeat(64)}`, tokens.vic)).status).toBe(404);
    expect((await fetch(`${base}/v1/artifacts/${v2.artifact.sha256}`)).status).toBe(401);

    const compare = await visit(page, `/ui/models/${MODEL}/compare?a=1&b=2`, 'compare');
    expect(compare).toMatch(/auc\s+0\.\d{4}.*\s+0\.\d{4}/);
    expect(await page.locator('svg[aria-label^="ROC curves of v1 and v2"]').count()).toBe(1);
    expect(await page.locator('svg[aria-label^="Calibration of v1 and v2"]').count()).toBe(1);
    expect(compare).toContain('Slices by origin');
    expect(compare).toMatch(/param seed\s+\S+\s+11/);

    const runs = await visit(page, '/ui/runs', 'runs');
    expect(runs).toContain('console-v2');
    const runPage = await visit(page, '/ui/runs/console-v2', 'run');
    expect(runPage).toMatch(/canary\s+canary\s+succeeded/);
    expect(await page.locator('.dag .layer').count()).toBeGreaterThanOrEqual(6);
    expect(await page.getByRole('link', { name: 'Open in the Temporal UI' }).getAttribute('href')).toContain('/workflows/console-v2/');

    expect(await visit(page, '/ui/canaries', 'canaries')).toMatch(/flight-delay\s+completed/);
    // Newest first: the first report link is v2's canary's.
    const listed = await page.getByRole('link', { name: 'report', exact: true }).first().getAttribute('href');
    const past = await visit(page, `/ui/canaries/${MODEL}`);
    const verdict = past.match(/verdict (passed|rolled-back|aborted)/)?.[1];
    expect(verdict).toBe(champion === 2 ? 'passed' : expect.stringMatching(/^(rolled-back|aborted)$/));
    // The finished canary links the JSON report its run wrote, served sandboxed; the list links the same one.
    const reportHref = await page.getByRole('link', { name: 'Canary report' }).getAttribute('href');
    expect(reportHref).toMatch(new RegExp(`^/ui/canaries/${MODEL}/runs/[0-9a-f-]{36}/report$`));
    expect(listed).toBe(reportHref);
    const canaryReport = await context.request.get(`${base}${reportHref}`);
    expect(canaryReport.headers()['content-type']).toBe('application/json; charset=utf-8');
    expect(canaryReport.headers()['content-security-policy']).toBe("default-src 'none'; sandbox");
    const reported = (await canaryReport.json()) as { model: string; candidate: number; champion: number; verdict: string; steps: unknown[] };
    expect(reported).toMatchObject({ model: MODEL, candidate: 2, champion: 1, verdict });
    expect(reported.steps.length).toBeGreaterThan(0);

    const data = await visit(page, '/ui/data', 'data');
    expect(data).toMatch(/Latest validation: v2 (passed|failed)/);
    expect(await page.locator('svg[aria-label^="Drift of each feature"]').count()).toBe(1);

    const serving = await visit(page, '/ui/serving', 'serving');
    expect(serving).toMatch(new RegExp(`v${champion} champion\\s+100%`));
    expect(serving).toMatch(/\d+\.\d\d/);

    // A continuous-training workflow on the same model: its first check finds no new data (the champion's own window), then it waits an hour.
    const ct = await cw.env.client.workflow.start('continuousTraining', {
      taskQueue: cw.harness.config.taskQueue,
      workflowId: `ct-${MODEL}`,
      args: [{ model: MODEL, pipeline: 'flight-delay-canary', overrides: WINDOW, checkEvery: '1 hour', policy: { minNewRows: 1000 } }],
    });
    try {
      await expect.poll(async () => (await ct.query(continuousTrainingStatusQuery)).checksDone, { timeout: 60_000, interval: 250 }).toBe(1);
      const training = await visit(page, '/ui/training', 'training');
      expect(training).toContain('Pipeline flight-delay-canary, checks every 1 hour; 1 checks so far. Next check');
      expect(training).toContain('{"minNewRows":1000}');
      expect(training).toMatch(new RegExp(`no retrain\\s+v${champion}\\s+0 rows arrived after the champion's data window \\(ends 2001-03-10`));
    } finally {
      await ct.terminate('console test: training page seen');
    }
    const audit = await visit(page, '/ui/audit', 'audit');
    expect(audit).toContain('version.register');
    await page.goto(`${base}/ui/audit/verify`);
    expect(await page.getByRole('status').innerText()).toContain('chain intact');
    await context.close();
  }, 120_000);

  it('updates a canary page while it runs; a viewer sees no buttons and is refused, an approver aborts it', async () => {
    const ann = await signIn(tokens.ann);
    const page = await ann.newPage();
    // Started from the console's form by an operator.
    await page.goto(`${base}/ui/runs`);
    await page.getByLabel('Pipeline', { exact: true }).selectOption('flight-delay-canary');
    // No traffic reaches this canary: a sequential hold of at most one interval makes its first step inconclusive at the first look.
    const overrides = { ...WINDOW, canary: { steps: [25, 100], interval: '10s', hold: { maxDuration: '10s' } }, train: { params: { epochs: 3, seed: 13 } } };
    await page.getByLabel('Overrides (JSON, optional)').fill(JSON.stringify(overrides));
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/ui\/runs\/flight-delay-canary-/);
    const workflowId = decodeURIComponent(page.url().split('/ui/runs/')[1]);
    actions.push(['run.start', `run:${workflowId}`]);

    // The model's earlier canary (of v2) has ended; wait for this run's to start.
    const canary = cw.env.client.workflow.getHandle(`canary-${MODEL}`);
    await expect.poll(async () => (await canary.describe()).status.name, { timeout: 120_000, interval: 250 }).toBe('RUNNING');
    await page.goto(`${base}/ui/canaries/${MODEL}`);
    const firstStage = await page.locator('#canary-live .stage').innerText();
    expect(['starting', 'shifting-traffic', 'holding']).toContain(firstStage);
    // No reload: console.js swaps the live region as the canary holds 25% of traffic, then
    // analyses the step (no traffic here, so inconclusive) and waits for a human decision.
    await expect.poll(() => page.locator('#canary-live .weight').innerText(), { timeout: 60_000 }).toBe('25%');
    await expect.poll(() => page.locator('#canary-live .stage').innerText(), { timeout: 60_000 }).toBe('awaiting-decision');
    expect(await page.locator('#canary-live table').innerText()).toMatch(/inconclusive[\s\S]*samples: inconclusive/);
    expect(page.url()).toBe(`${base}/ui/canaries/${MODEL}`);
    expect(await page.getByRole('button', { name: 'Approve (continue)' }).count()).toBe(1);
    expect((await axeViolations(page)).join('\n')).toBe('');
    await page.screenshot({ path: path.join(SHOTS, 'canary-live.png') });

    const vic = await signIn(tokens.vic);
    const viewerPage = await vic.newPage();
    await viewerPage.goto(`${base}/ui/canaries/${MODEL}`);
    expect(await viewerPage.locator('#canary-live .stage').innerText()).toBe('awaiting-decision');
    expect(await viewerPage.getByRole('button').filter({ hasText: /Abort|Approve|Reject/ }).count()).toBe(0);
    const csrf = await csrfOf(viewerPage);
    const refused = await viewerPage.request.post(`${base}/ui/canaries/${MODEL}/abort`, { form: { _csrf: csrf, reason: 'viewer tries' }, headers: { origin: base }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect((await canary.query(canaryStatusQuery)).stage).toBe('awaiting-decision');

    // A forged form without the session's CSRF token is refused too, even for the approver.
    const forged = await page.request.post(`${base}/ui/canaries/${MODEL}/abort`, { form: { _csrf: 'forged', reason: 'csrf' }, headers: { origin: base }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);

    await page.locator('form[action$="/abort"]').getByLabel('Reason').fill('console test: abort the canary');
    await page.getByRole('button', { name: 'Abort canary' }).click();
    actions.push(['canary.abort', `run:canary-${MODEL}`]);
    await expect.poll(() => page.locator('#canary-live').innerText(), { timeout: 60_000 }).toMatch(/verdict aborted/);
    const aborted: PipelineResult = await cw.env.client.workflow.getHandle(workflowId).result();
    expect(aborted.steps.find((st) => st.id === 'canary')?.summary).toMatchObject({ canaryVerdict: 'aborted' });
    expect(aborted.outcome).not.toBe('promoted');
    expect((await governance.registry.getAlias(MODEL, 'champion'))?.version).toBe(champion);
    await ann.close();
    await vic.close();
  }, 240_000);

  it('approves a waiting promotion for an approver; a viewer sees no buttons and the API answers 403', async () => {
    const slipway = new SlipwayClient(cw.env.client, { taskQueue: cw.harness.config.taskQueue });
    const started = await slipway.startPipeline({ pipeline: 'flight-delay-builtin', model: 'approval-demo', overrides: { ...WINDOW, promote: { mode: 'manual', approvalTimeout: '10 minutes' } } }, { idempotencyKey: 'console-approval' });
    await expect.poll(async () => (await slipway.getStatus(started.workflowId).catch(() => undefined))?.approval?.state, { timeout: 120_000, interval: 250 }).toBe('pending');

    const vic = await signIn(tokens.vic);
    const viewerPage = await vic.newPage();
    await viewerPage.goto(`${base}/ui/runs/${started.workflowId}`);
    expect(await viewerPage.locator('main').innerText()).toContain('pending');
    expect(await viewerPage.getByRole('button', { name: 'Approve promotion' }).count()).toBe(0);
    expect((await api('POST', `/v1/runs/${started.workflowId}/approve`, tokens.vic, { reason: 'viewer tries' })).status).toBe(403);
    const refused = await viewerPage.request.post(`${base}/ui/runs/${started.workflowId}/approve`, { form: { _csrf: await csrfOf(viewerPage), reason: 'viewer tries' }, headers: { origin: base }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect((await slipway.getStatus(started.workflowId)).approval?.state).toBe('pending');

    const ann = await signIn(tokens.ann);
    const page = await ann.newPage();
    await page.goto(`${base}/ui/runs/${started.workflowId}`);
    await page.screenshot({ path: path.join(SHOTS, 'approval.png') });
    await page.getByLabel('Reason').first().fill('console test: looks good');
    await page.getByRole('button', { name: 'Approve promotion' }).click();
    actions.push(['run.approve', `run:${started.workflowId}`]);
    const result = await slipway.result(started.workflowId);
    expect(result.outcome).toBe('promoted');
    expect((await governance.registry.getAlias('approval-demo', 'champion'))?.version).toBe(1);
    await ann.close();
    await vic.close();
  }, 240_000);

  it('sets and removes tags on a real version for a granted approver; a viewer sees them without a form and is refused, tags unchanged', async () => {
    const tagsOf = async () => (await governance.registry.getVersion(MODEL, 1))!.tags;
    const before = await tagsOf();
    const vic = await signIn(tokens.vic);
    const viewerPage = await vic.newPage();
    await viewerPage.goto(`${base}/ui/models/${MODEL}/versions/1`);
    expect(await viewerPage.locator('main').innerText()).toContain(`models:/${MODEL}/1`);
    expect(await viewerPage.getByRole('button', { name: 'Set tag' }).count()).toBe(0);
    const head = await auditHead();
    const refused = await viewerPage.request.post(`${base}/ui/models/${MODEL}/versions/1/tags`, { form: { _csrf: await csrfOf(viewerPage), op: 'set', key: 'stage', value: 'x' }, headers: { origin: base }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect([await tagsOf(), await auditHead()]).toEqual([before, head]);
    await vic.close();

    const ann = await signIn(tokens.ann);
    const page = await ann.newPage();
    await page.goto(`${base}/ui/models/${MODEL}/versions/1`);
    const setTag = async (key: string, value: string, why = '') => {
      await page.getByLabel('Key').fill(key);
      await page.getByLabel('Value').fill(value);
      await page.getByLabel('Reason (optional)').fill(why);
      await page.getByRole('button', { name: 'Set tag' }).click();
      await page.waitForURL(`${base}/ui/models/${MODEL}/versions/1#h-tags`);
    };
    await setTag('stage', 'shadow', 'shadow traffic from Monday');
    await setTag('review', 'pending');
    expect(await page.locator('section[aria-labelledby=h-tags]').innerText()).toMatch(/review\s+pending[\s\S]*stage\s+shadow|stage\s+shadow[\s\S]*review\s+pending/);
    expect((await axeViolations(page)).join('\n')).toBe('');
    await page.screenshot({ path: path.join(SHOTS, 'version-tags.png') });
    await page.getByRole('button', { name: 'Remove tag review' }).click();
    await page.waitForURL(`${base}/ui/models/${MODEL}/versions/1#h-tags`);
    expect(await tagsOf()).toEqual({ ...before, stage: 'shadow' });
    // A key the grammar refuses: the browser's pattern check stops it; posted anyway, the server refuses it with the field named.
    const head2 = await auditHead();
    const bad = await page.request.post(`${base}/ui/models/${MODEL}/versions/1/tags`, { form: { _csrf: await csrfOf(page), op: 'set', key: 'two words', value: 'x' }, headers: { origin: base }, maxRedirects: 0 });
    expect([bad.status(), await bad.text()]).toEqual([400, expect.stringContaining('setTags key must be a tag key')]);
    expect([await tagsOf(), await auditHead()]).toEqual([{ ...before, stage: 'shadow' }, head2]);
    await page.goto(`${base}/ui/models/${MODEL}`);
    expect(await page.locator('main table').first().innerText()).toContain('stage=shadow');
    const audited = await governance.audit.list({ action: 'version.annotate', target: `model:${MODEL}/v1` });
    expect(audited.map((e) => [e.actor, e.reason, e.details.setTags, e.details.removeTags, e.origin.split(' ')[0]])).toEqual([
      ['ann', 'shadow traffic from Monday', { stage: 'shadow' }, [], 'console'],
      ['ann', '', { review: 'pending' }, [], 'console'],
      ['ann', '', {}, ['review'], 'console'],
    ]);
    actions.push(['version.annotate', `model:${MODEL}/v1`]);
    await ann.close();
  }, 120_000);

  it('lists quarantined batches on the Data page: a viewer sees no forms and is refused, an approver releases one and discards another', async () => {
    const digests = { release: 'a'.repeat(64), discard: 'b'.repeat(64) };
    for (const [decision, dataDigest] of Object.entries(digests)) {
      await governance.quarantine.quarantine({
        model: MODEL,
        dataDigest,
        workflowId: `console-ingest-${decision}`,
        runId: 'r1',
        snapshots: { train: artifact(`${decision}-train`), holdout: artifact(`${decision}-holdout`) },
        report: `artifact://sha256/${'c'.repeat(64)}`,
        reportHtml: `artifact://sha256/${'d'.repeat(64)}`,
        failed: ['labelConsistency(origin)'],
        findings: [{ check: 'labelConsistency', where: 'origin = ATL' }],
      });
    }
    const states = async () => Promise.all(Object.values(digests).map(async (d) => (await governance.quarantine.get(MODEL, d))?.state));
    const vic = await signIn(tokens.vic);
    const viewerPage = await vic.newPage();
    const viewed = await visit(viewerPage, `/ui/data?model=${MODEL}`);
    expect(await viewerPage.locator('#h-quarantine').innerText()).toBe('Quarantined batches');
    expect(viewed).toContain('labelConsistency(origin)');
    expect(await viewerPage.locator('form[action*="/quarantine/"]').count()).toBe(0);
    const head = await auditHead();
    for (const decision of ['release', 'discard'] as const) {
      const refused = await viewerPage.request.post(`${base}/ui/data/${MODEL}/quarantine/${digests[decision]}/${decision}`, { form: { _csrf: await csrfOf(viewerPage), reason: 'viewer tries' }, headers: { origin: base }, maxRedirects: 0 });
      expect(refused.status()).toBe(403);
    }
    expect([await states(), await auditHead()]).toEqual([['quarantined', 'quarantined'], head]);
    await vic.close();

    const ann = await signIn(tokens.ann);
    const page = await ann.newPage();
    await visit(page, `/ui/data?model=${MODEL}`);
    await page.locator('section[aria-labelledby=h-quarantine]').screenshot({ path: path.join(SHOTS, 'data-quarantine.png') });
    for (const [decision, why] of [['release', 'checked with the data owner'], ['discard', 'ATL labels are wrong']] as const) {
      const form = page.locator(`form[action$="/quarantine/${digests[decision]}/${decision}"]`);
      await form.getByLabel('Reason').fill(why);
      await form.getByRole('button').click();
      await page.waitForURL(`${base}/ui/data?model=${MODEL}`);
      expect(await page.locator('section[aria-labelledby=h-quarantine]').innerText()).toContain(`ann: ${why}`);
      actions.push([`data.${decision}`, `model:${MODEL}/batch:${digests[decision]}`]);
    }
    expect(await states()).toEqual(['released', 'discarded']);
    expect(await page.locator('form[action*="/quarantine/"]').count()).toBe(0);
    await ann.close();
  }, 120_000);

  it('starts a run from an uploaded spec file, shows a bad upload what is wrong with nothing started, and refuses a viewer', async () => {
    const spec = `name: uploaded\nmodel: console-upload\nsteps:\n  - id: ingest\n    kind: ingest\n    with:\n      source: { path: "package:vega-datasets/data/flights-3m.parquet" }\n      timeColumn: date\n      window: { from: "2001-03-01", to: "2001-03-03" }\n      features:\n        - { name: distance, column: distance, transform: double }\n      label: { name: label, column: delay, op: gt, value: 15 }\n`;
    const file = (name: string, text: string) => ({ name, mimeType: name.endsWith('.json') ? 'application/json' : 'application/yaml', buffer: Buffer.from(text) });
    const pipelines = async () => (await cw.env.client.workflow.count(`TaskQueue = '${cw.harness.config.taskQueue}' AND WorkflowType = 'pipeline'`)).count;
    const ann = await signIn(tokens.ann);
    const page = await ann.newPage();
    const upload = async (f: ReturnType<typeof file>) => {
      await page.goto(`${base}/ui/runs`);
      await page.getByLabel('or upload a spec file').setInputFiles(f);
      await page.getByRole('button', { name: 'Start' }).click();
      await page.waitForLoadState();
      return page.locator('main').innerText();
    };
    const before = await pipelines();
    const head = await auditHead();
    expect(await upload(file('broken.yaml', 'steps: [unclosed\n'))).toMatch(/specFile \(broken\.yaml\): not YAML or JSON/);
    expect((await axeViolations(page)).join('\n')).toBe('');
    expect(await upload(file('invalid.json', JSON.stringify({ name: 'x', model: 'console-upload', steps: [{ id: 'a', kind: 'teleport' }] })))).toMatch(/Invalid pipeline input[\s\S]*teleport/);
    expect([await pipelines(), await auditHead()]).toEqual([before, head]);

    await page.goto(`${base}/ui/runs`);
    await page.getByLabel('or upload a spec file').setInputFiles(file('uploaded.yaml', spec));
    await page.screenshot({ path: path.join(SHOTS, 'runs-upload.png') });
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/ui\/runs\/pipeline-/);
    const workflowId = decodeURIComponent(page.url().split('/ui/runs/')[1]);
    actions.push(['run.start', `run:${workflowId}`]);
    await expect.poll(async () => (await cw.env.client.workflow.getHandle(workflowId).describe()).status.name, { timeout: 120_000, interval: 500 }).toBe('COMPLETED');
    await page.reload();
    expect(await page.locator('main').innerText()).toMatch(/Pipeline uploaded, model console-upload/);
    const started = await governance.audit.list({ action: 'run.start', target: `run:${workflowId}` });
    expect(started.map((e) => [e.actor, e.details.via, e.details.phase])).toEqual([
      ['ann', 'console', 'intent'],
      ['ann', undefined, 'outcome'],
    ]);
    await ann.close();

    // A viewer has no start form, and a posted upload is refused before it is read.
    const vic = await signIn(tokens.vic);
    const viewerPage = await vic.newPage();
    await viewerPage.goto(`${base}/ui/runs`);
    expect(await viewerPage.locator('input[type=file]').count()).toBe(0);
    const head2 = await auditHead();
    const refused = await viewerPage.request.post(`${base}/ui/runs`, { multipart: { _csrf: await csrfOf(viewerPage), specFile: file('uploaded.yaml', spec) }, headers: { origin: base }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect([await pipelines(), await auditHead()]).toEqual([before + 1, head2]);
    await vic.close();
  }, 240_000);

  it('lists an audit entry for each action taken in this test', async () => {
    const context = await signIn(tokens.vic);
    const page = await context.newPage();
    for (const [action, target] of actions) {
      await page.goto(`${base}/ui/audit?action=${encodeURIComponent(action)}&targetPrefix=${encodeURIComponent(target)}`);
      const text = await page.locator('main table').innerText();
      expect(text, `${action} ${target}`).toContain(target);
      expect(text).toContain('ann');
    }
    expect(actions.map((a) => a[0])).toEqual(['run.start', 'canary.abort', 'run.approve', 'version.annotate', 'data.release', 'data.discard', 'run.start']);
    await context.close();
  }, 60_000);
});

const auditHead = async () => (await governance.audit.head()).seq;

async function csrfOf(page: Page): Promise<string> {
  return (await page.locator('input[name=_csrf]').first().getAttribute('value'))!;
}
