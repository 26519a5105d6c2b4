/**
 * The console's smaller actions in Debian's Chromium, on a small real stack: a Temporal dev
 * server and a Slipway worker (no model server, no training runs), the API on a real port and
 * a SQLite governance store with real tokens. A real `canary` workflow with no champion ends at
 * once and writes its report, which the canaries page links to; a quarantined batch is
 * released from the Data page; tags are set and removed on a version page; a spec file is
 * uploaded to start a run. Refusals leave nothing changed; axe-core checks each new view.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { consoleRoutes } from '../../src/console/console-routes';
import { buildApi } from '../../src/api/server';
import { createArtifactStore } from '../../src/artifacts/create-artifact-store';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { startHarness, TEST_SIGNING_KEY, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { artifact, registration } from '../support/registry-test-fixtures';
import { axeViolations, launchChromium, SHOTS, signIn } from './console-browser';

const MODEL = 'console-actions';
const DIGEST = 'a'.repeat(64);

let env: TestWorkflowEnvironment;
let h: Harness;
let governance: Governance;
let app: Awaited<ReturnType<typeof buildApi>>;
let base: string;
let browser: Browser;
let dir: string;
const tokens = { ann: '', vic: '' };

beforeAll(async () => {
  env = await startDevServer();
  h = await startHarness(env);
  governance = await openGovernance(h.config);
  const { access, registry } = governance;
  const root = (await access.authenticate((await access.bootstrap({ admin: 'root' })).token))!;
  await access.setPrincipal({ name: 'ann', roles: ['operator', 'approver'] }, root);
  await access.grant({ principal: 'ann', model: MODEL, alias: 'champion' }, root);
  await access.setPrincipal({ name: 'vic', roles: ['viewer'] }, root);
  tokens.ann = (await access.createToken({ principal: 'ann', label: 'console actions' }, root)).token;
  tokens.vic = (await access.createToken({ principal: 'vic', label: 'console actions' }, root)).token;
  await registry.registerVersion(registration({ model: MODEL, tags: { team: 'growth' } }));
  await governance.quarantine.quarantine({
    model: MODEL,
    dataDigest: DIGEST,
    workflowId: 'wf-ingest',
    runId: 'r1',
    snapshots: { train: artifact('train'), holdout: artifact('holdout') },
    report: `artifact://sha256/${'c'.repeat(64)}`,
    reportHtml: `artifact://sha256/${'d'.repeat(64)}`,
    failed: ['labelConsistency(origin)'],
    findings: [{ check: 'labelConsistency', where: 'origin = ATL' }],
  });
  // The first version's canary: nothing to compare with, so it ends at once ("skipped") and writes its report.
  await env.client.workflow.execute('canary', { taskQueue: h.config.taskQueue, workflowId: `canary-${MODEL}`, args: [{ model: MODEL, candidate: 1, champion: null }] });
  const deps = {
    slipway: new SlipwayClient(env.client, { taskQueue: h.config.taskQueue, signingKey: TEST_SIGNING_KEY }),
    schedules: new PipelineSchedules(env.client, h.config.taskQueue),
    registry,
    access,
    audit: governance.audit,
    quarantine: governance.quarantine,
    taskQueue: h.config.taskQueue,
    pipelinesDir: h.config.pipelinesDir,
    dataRoots: h.config.dataRoots.roots,
    authenticator: apiAuthenticator(access),
    artifacts: createArtifactStore(h.config),
  };
  app = await buildApi({ ...deps, routes: [consoleRoutes(deps)] });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-upload-'));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await governance?.close();
  await h?.close();
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const noViolations = async (page: Parameters<typeof axeViolations>[0]) => expect((await axeViolations(page)).join('\n'), page.url()).toBe('');
const auditHead = async () => (await governance.audit.head()).seq;

describe('console actions in Chromium', () => {
  it('links a completed canary to the report its run wrote, served as JSON', async () => {
    const context = await signIn(browser, base, tokens.vic);
    const page = await context.newPage();
    await page.goto(`${base}/ui/canaries`);
    await expect.poll(async () => (await page.reload(), page.locator('main').innerText()), { timeout: 30_000 }).toMatch(new RegExp(`${MODEL}\\s+completed`));
    await noViolations(page);
    const href = await page.getByRole('link', { name: 'report', exact: true }).getAttribute('href');
    expect(href).toMatch(new RegExp(`^/ui/canaries/${MODEL}/runs/[0-9a-f-]{36}/report$`));
    const served = await context.request.get(`${base}${href}`);
    expect(served.headers()['content-type']).toBe('application/json; charset=utf-8');
    expect(served.headers()['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(await served.json()).toMatchObject({ model: MODEL, candidate: 1, verdict: 'skipped' });
    // The past canary's own page links the same report.
    await page.goto(`${base}/ui/canaries/${MODEL}`);
    expect(await page.getByRole('link', { name: 'Canary report' }).getAttribute('href')).toBe(href);
    await noViolations(page);
    await context.close();
  });

  it('shows a viewer the quarantined batch without forms (a forged post is refused), and lets a granted approver release it', async () => {
    const vic = await signIn(browser, base, tokens.vic);
    const viewerPage = await vic.newPage();
    await viewerPage.goto(`${base}/ui/data?model=${MODEL}`);
    expect(await viewerPage.locator('#h-quarantine').innerText()).toBe('Quarantined batches');
    expect(await viewerPage.locator('main').innerText()).toContain('labelConsistency(origin)');
    expect(await viewerPage.locator(`form[action*="/quarantine/"]`).count()).toBe(0);
    await noViolations(viewerPage);
    const csrf = await viewerPage.locator('input[name=_csrf]').first().inputValue();
    const head = await auditHead();
    const refused = await viewerPage.request.post(`${base}/ui/data/${MODEL}/quarantine/${DIGEST}/release`, { form: { _csrf: csrf, reason: 'viewer tries' }, headers: { origin: base }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect(await governance.quarantine.get(MODEL, DIGEST)).toMatchObject({ state: 'quarantined' });
    expect(await auditHead()).toBe(head);
    await vic.close();

    const ann = await signIn(browser, base, tokens.ann);
    const page = await ann.newPage();
    await page.goto(`${base}/ui/data?model=${MODEL}`);
    await noViolations(page);
    const release = page.locator(`form[action$="/quarantine/${DIGEST}/release"]`);
    await release.getByLabel('Reason').fill('checked with the data owner');
    await release.getByRole('button').click();
    await page.waitForURL(`${base}/ui/data?model=${MODEL}`);
    expect(await page.locator('main').innerText()).toContain('ann: checked with the data owner');
    expect(await governance.quarantine.get(MODEL, DIGEST)).toMatchObject({ state: 'released', decision: { by: 'ann' } });
    await ann.close();
  });

  it('sets and removes a tag from the version page for a granted approver; a viewer sees the tags but no form', async () => {
    const vic = await signIn(browser, base, tokens.vic);
    const viewerPage = await vic.newPage();
    await viewerPage.goto(`${base}/ui/models/${MODEL}/versions/1`);
    expect(await viewerPage.locator('section[aria-labelledby=h-tags]').innerText()).toMatch(/team\s+growth/);
    expect(await viewerPage.getByRole('button', { name: 'Set tag' }).count()).toBe(0);
    await vic.close();

    const ann = await signIn(browser, base, tokens.ann);
    const page = await ann.newPage();
    await page.goto(`${base}/ui/models/${MODEL}/versions/1`);
    expect(await page.locator('main').innerText()).toContain(`models:/${MODEL}/1`);
    await page.getByLabel('Key').fill('stage');
    await page.getByLabel('Value').fill('shadow');
    await page.getByLabel('Reason (optional)').fill('shadow traffic from Monday');
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.waitForURL(`${base}/ui/models/${MODEL}/versions/1#h-tags`);
    expect(await page.locator('section[aria-labelledby=h-tags]').innerText()).toMatch(/stage\s+shadow/);
    await noViolations(page);
    await page.screenshot({ path: path.join(SHOTS, 'version-tags.png') });
    await page.getByRole('button', { name: 'Remove tag team' }).click();
    await page.waitForURL(`${base}/ui/models/${MODEL}/versions/1#h-tags`);
    expect((await governance.registry.getVersion(MODEL, 1))!.tags).toEqual({ stage: 'shadow' });
    // A key the grammar refuses: the browser's own pattern check stops it; posted anyway, the server refuses it.
    const head = await auditHead();
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const bad = await page.request.post(`${base}/ui/models/${MODEL}/versions/1/tags`, { form: { _csrf: csrf, op: 'set', key: 'two words', value: 'x' }, headers: { origin: base }, maxRedirects: 0 });
    expect([bad.status(), await bad.text()]).toEqual([400, expect.stringContaining('setTags key must be a tag key')]);
    expect(await auditHead()).toBe(head);
    await page.goto(`${base}/ui/models/${MODEL}`);
    expect(await page.locator('main table').innerText()).toContain('stage=shadow');
    await noViolations(page);
    const audited = await governance.audit.list({ action: 'version.annotate' });
    expect(audited.map((e) => [e.actor, e.reason, e.details.setTags, e.details.removeTags])).toEqual([
      ['ann', 'shadow traffic from Monday', { stage: 'shadow' }, []],
      ['ann', '', {}, ['team']],
    ]);
    await ann.close();
  });

  it('starts a run from an uploaded spec file, shows a bad upload its errors, and refuses a viewer', async () => {
    const spec = `name: uploaded\nmodel: ${MODEL}\nsteps:\n  - id: ingest\n    kind: ingest\n    with:\n      source: { path: "package:vega-datasets/data/flights-3m.parquet" }\n      timeColumn: date\n      window: { from: "2001-03-01", to: "2001-03-03" }\n      features:\n        - { name: distance, column: distance, transform: double }\n      label: { name: label, column: delay, op: gt, value: 15 }\n`;
    await writeFile(path.join(dir, 'uploaded.yaml'), spec);
    await writeFile(path.join(dir, 'broken.yaml'), 'steps: [unclosed\n');
    await writeFile(path.join(dir, 'invalid.json'), JSON.stringify({ name: 'x', model: MODEL, steps: [{ id: 'a', kind: 'teleport' }] }));

    const ann = await signIn(browser, base, tokens.ann);
    const page = await ann.newPage();
    const upload = async (file: string) => {
      await page.goto(`${base}/ui/runs`);
      await page.getByLabel('or upload a spec file').setInputFiles(path.join(dir, file));
      await page.getByRole('button', { name: 'Start' }).click();
      await page.waitForLoadState();
      return page.locator('main').innerText();
    };
    await page.goto(`${base}/ui/runs`);
    await noViolations(page);
    const before = await env.client.workflow.count(`TaskQueue = '${h.config.taskQueue}' AND WorkflowType = 'pipeline'`);
    expect(await upload('broken.yaml')).toMatch(/specFile \(broken\.yaml\): not YAML or JSON/);
    await noViolations(page);
    expect(await upload('invalid.json')).toMatch(/Invalid pipeline input[\s\S]*teleport/);
    expect((await env.client.workflow.count(`TaskQueue = '${h.config.taskQueue}' AND WorkflowType = 'pipeline'`)).count).toBe(before.count);

    await page.goto(`${base}/ui/runs`);
    await page.getByLabel('or upload a spec file').setInputFiles(path.join(dir, 'uploaded.yaml'));
    await page.screenshot({ path: path.join(SHOTS, 'runs-upload.png') });
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/ui\/runs\/pipeline-/);
    // The run page shows the spec's name and model once the run has resolved its input.
    await expect.poll(async () => (await page.reload(), page.locator('main').innerText()), { timeout: 60_000, interval: 500 }).toMatch(/Pipeline uploaded, model console-actions/);
    const workflowId = decodeURIComponent(page.url().split('/ui/runs/')[1]);
    const started = await governance.audit.list({ action: 'run.start', target: `run:${workflowId}` });
    expect(started.map((e) => [e.actor, e.details.via, e.details.phase])).toEqual([
      ['ann', 'console', 'intent'],
      ['ann', undefined, 'outcome'],
    ]);
    await expect.poll(async () => (await env.client.workflow.getHandle(workflowId).describe()).status.name, { timeout: 120_000, interval: 500 }).toBe('COMPLETED');
    await ann.close();

    // A viewer has no start form, and a posted upload is refused before it is read.
    const vic = await signIn(browser, base, tokens.vic);
    const viewerPage = await vic.newPage();
    await viewerPage.goto(`${base}/ui/runs`);
    expect(await viewerPage.locator('input[type=file]').count()).toBe(0);
    const csrf = await viewerPage.locator('input[name=_csrf]').first().inputValue();
    const refused = await viewerPage.request.post(`${base}/ui/runs`, {
      multipart: { _csrf: csrf, specFile: { name: 'uploaded.yaml', mimeType: 'application/yaml', buffer: Buffer.from(spec) } },
      headers: { origin: base },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    expect((await env.client.workflow.count(`TaskQueue = '${h.config.taskQueue}' AND WorkflowType = 'pipeline'`)).count).toBe(before.count + 1);
    await vic.close();
  }, 240_000);
});
