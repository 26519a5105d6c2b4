/**
 * The path of people who start pipelines by hand: the Temporal Web UI's Start Workflow
 * form, driven in Debian's headless Chromium, with the README's input pasted in.
 */
import { createServer } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery } from '../../src/workflows/definitions';
import { startHarness, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';
const INPUT = '{"pipeline":"flight-delay-builtin","overrides":{"ingest":{"window":{"from":"2001-03-01","to":"2001-03-10"}}}}';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

describe('Temporal Web UI', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let browser: Browser;
  let ui: string;

  beforeAll(async () => {
    const uiPort = await freePort();
    env = await startDevServer({ ui: true, uiPort });
    ui = `http://127.0.0.1:${uiPort}`;
    h = await startHarness(env);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await env?.teardown();
  });

  it('starts the flight-delay pipeline from the Start Workflow form and shows it completed', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${ui}/namespaces/default/workflows/start-workflow`);
    await page.locator('#workflowId').fill('ui-started-run');
    await page.locator('#taskQueue').fill(h.config.taskQueue);
    await page.locator('#workflowType').fill('pipeline');
    await page.locator('.cm-content').click();
    await page.keyboard.insertText(INPUT);
    // The editor commits its value to the form on blur; a click straight from the editor is lost.
    await page.locator('#workflowType').click();
    // The form checks the task queue for pollers and grows a notice; click once the layout has settled.
    await page.getByText('Task Queue is Active').waitFor();
    const button = page.getByTestId('start-workflow-button');
    await expect.poll(() => button.isEnabled(), { timeout: 10_000 }).toBe(true);
    await button.click();

    const handle = env.client.workflow.getHandle('ui-started-run');
    const started = async () => handle.describe().then(() => true, () => false);
    await expect.poll(started, { timeout: 30_000 }).toBe(true);
    const result = await handle.result();
    expect(result.stage).toBe('completed');
    expect(result.outputs.ingest.summary.trainRows).toBeGreaterThan(1000);
    const status = await handle.query(statusQuery);
    expect(status.steps.every((s) => s.state === 'succeeded')).toBe(true);

    await page.goto(`${ui}/namespaces/default/workflows/ui-started-run`);
    await expect.poll(async () => page.locator('body').innerText(), { timeout: 30_000 }).toMatch(/Completed/);
    await page.close();
  }, 180_000);
});
