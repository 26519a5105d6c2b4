/**
 * The README's "Quickstart: your own CSV", run as written: its marked bash blocks are taken from
 * README.md and run by bash in a scratch checkout (the repository's bin/, node_modules/ and
 * pipelines/ linked in, its own data/) against what `make demo` leaves running — a real Temporal
 * dev server, the worker as its own process started in that checkout, and the model server as its
 * own process — with the environment a user's shell has after `make demo` (no token, no signing
 * key; only the addresses differ, through the variables the README reads). Each block's effect is
 * asserted: the pipeline promoted, the prediction in the task's shape, the feedback taken.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import { spawnServer, stopServer, type ServerProcess } from '../../src/serving/server-process';
import { startDevServer } from '../helpers/temporal-env';
import { spawnWorker, stopWorker, type WorkerProcess } from '../topology/worker-process';
import { sectionBlocks, type ReadmeBlock } from './readme-blocks';

const ROOT = path.join(__dirname, '..', '..');
const BLOCK_MS = 150_000;

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = sectionBlocks(readme, '## Quickstart: your own CSV', 'quickstart');
const named = (name: string): ReadmeBlock[] => blocks.filter((b) => b.name === name);

describe('the README quickstart, command by command', () => {
  let dir: string;
  let env: TestWorkflowEnvironment;
  let server: ServerProcess;
  let worker: WorkerProcess;
  let shellEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-quickstart-'));
    // A checkout whose data/ is the test's own: the README's commands run from the checkout's root.
    for (const entry of ['bin', 'node_modules', 'pipelines', 'trainers', 'docs']) await symlink(path.join(ROOT, entry), path.join(dir, entry));
    await mkdir(path.join(dir, 'data', 'run'), { recursive: true });
    // As scripts/serving-env.sh does for make demo: the tokens, generated into data/run.
    const adminToken = randomBytes(32).toString('hex');
    const labelerToken = randomBytes(24).toString('hex');
    await writeFile(path.join(dir, 'data', 'run', 'serve-labeler-token'), labelerToken, { mode: 0o600 });
    const dataDir = path.join(dir, 'data');
    env = await startDevServer();
    server = await spawnServer({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_SERVE_ADMIN_TOKEN: adminToken, SLIPWAY_SERVE_LABELER_TOKEN: labelerToken });
    // As scripts/worker.sh does: the model server's address and admin token, the local dev identity.
    worker = await spawnWorker(
      'quickstart',
      {
        ...clean(process.env),
        TEMPORAL_ADDRESS: env.address,
        SLIPWAY_SERVE_URL: server.base,
        SLIPWAY_SERVE_ADMIN_TOKEN: adminToken,
        SLIPWAY_DEV_PRINCIPAL: 'local',
        SLIPWAY_RUN_SIGNING_KEY: randomBytes(36).toString('base64url'),
        SLIPWAY_LOG_LEVEL: 'info',
      },
      120_000,
      dir,
    );
    // The user's shell: nothing Slipway-specific but where the stack listens (make demo's are fixed ports).
    shellEnv = { ...clean(process.env), TEMPORAL_ADDRESS: env.address, SLIPWAY_SERVE_URL: server.base };
  });

  afterAll(async () => {
    if (worker) await stopWorker(worker);
    if (server) await stopServer(server);
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  /** Runs the setup blocks and then `block` in one bash, as a reader's shell keeps the setup's variables. */
  const run = (block: ReadmeBlock) => {
    const script = ['set -euo pipefail', ...named('setup').map((b) => b.code), block.code].join('\n');
    const r = spawnSync('bash', ['-c', script], { cwd: dir, env: shellEnv, encoding: 'utf8', timeout: BLOCK_MS });
    if (r.status !== 0) throw new Error(`README line ${block.line} (quickstart:${block.name}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr };
  };
  const champion = async (model: string) => {
    const registry = new SqliteModelRegistry({ path: path.join(dir, 'data', 'registry.sqlite') });
    try {
      return await registry.getAlias(model, 'champion');
    } finally {
      await registry.close();
    }
  };
  /** The prediction `tee`d to answer.json, and the feedback answer printed right after it. */
  const answers = async (stdout: string) => {
    const prediction = await readFile(path.join(dir, 'answer.json'), 'utf8');
    const at = stdout.lastIndexOf(prediction);
    expect(at).toBeGreaterThanOrEqual(0);
    return { prediction: JSON.parse(prediction) as Record<string, unknown>, feedback: JSON.parse(stdout.slice(at + prediction.length)) as Record<string, unknown> };
  };

  it('has the blocks it runs, in the order a reader meets them', () => {
    expect(blocks.map((b) => b.name)).toEqual(['setup', 'binary', 'binary', 'multiclass', 'regression', 'look']);
  });

  it('setup: "your" CSV copied under the data roots', async () => {
    run(named('setup')[0]);
    const csv = await readFile(path.join(dir, 'data', 'sources', 'my-weather.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('date,precipitation,temp_max,temp_min,wind,weather');
    expect(csv.trim().split('\n')).toHaveLength(1462);
  });

  it('binary with a text label: the pipeline file runs to a promoted champion', async () => {
    const { stdout } = run(named('binary')[0]);
    expect(stdout).toContain('Pipeline my-rain (model my-rain) — outcome: PROMOTED');
    const v = await champion('my-rain');
    expect(v).toMatchObject({ version: 1, lineage: { task: 'binary' } });
    expect(v!.metrics.auc).toBeGreaterThan(0.75);
  }, BLOCK_MS);

  it('binary: the served model answers the curl with a probability, and takes the 0/1 feedback', async () => {
    const { prediction, feedback } = await answers(run(named('binary')[1]).stdout);
    expect(prediction).toMatchObject({ version: 1, requestId: expect.any(String), predictions: [{ score: expect.any(Number), label: expect.any(Number) }] });
    const [{ score, label }] = prediction.predictions as { score: number; label: number }[];
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(label).toBe(score >= 0.5 ? 1 : 0);
    expect(feedback).toEqual({ requestId: prediction.requestId, version: 1, labels: 1 });
  }, BLOCK_MS);

  it('multiclass: promoted, answers a class with a probability per class, takes a class name as feedback', async () => {
    const { stdout } = run(named('multiclass')[0]);
    expect(stdout).toContain('Pipeline my-weather (model my-weather) — outcome: PROMOTED');
    const classes = ['drizzle', 'fog', 'rain', 'snow', 'sun'];
    expect(await champion('my-weather')).toMatchObject({ version: 1, lineage: { task: 'multiclass', classes } });
    const { prediction, feedback } = await answers(stdout);
    expect(prediction).toMatchObject({ version: 1, requestId: expect.any(String) });
    const [{ label, probabilities }] = prediction.predictions as { label: string; probabilities: Record<string, number> }[];
    expect(Object.keys(probabilities)).toEqual(classes);
    expect(Object.values(probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(probabilities[label]).toBe(Math.max(...Object.values(probabilities)));
    expect(feedback).toEqual({ requestId: prediction.requestId, version: 1, labels: 1 });
  }, BLOCK_MS);

  it('regression: promoted, answers a value, takes the true number as feedback', async () => {
    const { stdout } = run(named('regression')[0]);
    expect(stdout).toContain('Pipeline my-temp-max (model my-temp-max) — outcome: PROMOTED');
    expect(await champion('my-temp-max')).toMatchObject({ version: 1, lineage: { task: 'regression' } });
    const { prediction, feedback } = await answers(stdout);
    // A July day in Seattle with a 12.2 °C low: the model's answer is a temperature, not a probability.
    expect(prediction).toMatchObject({ version: 1, requestId: expect.any(String) });
    const [{ value }] = prediction.predictions as { value: number }[];
    expect(value).toBeGreaterThan(10);
    expect(value).toBeLessThan(40);
    expect(feedback).toEqual({ requestId: prediction.requestId, version: 1, labels: 1 });
  }, BLOCK_MS);

  it('where to look: the run, the regression champion with its RMSE, and the label count', () => {
    const { stdout } = run(named('look')[0]);
    expect(stdout).toMatch(/completed\s+promoted\s+my-rain /i);
    // The regression champion's headline metric is its RMSE, under the evaluate gate's 4.
    const rmse = /^v1\s+champion\s+rmse (\d+\.\d{4}) /m.exec(stdout);
    expect(rmse, stdout).not.toBeNull();
    expect(Number(rmse![1])).toBeLessThan(4);
    expect(stdout).toMatch(/^slipway_serving_feedback_labels_total\{model="my-rain",version="1"\} 1$/m);
  }, BLOCK_MS);
});

/** The environment without Slipway's and Temporal's own variables, as a fresh shell has it. */
function clean(e: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith('SLIPWAY_') && !k.startsWith('TEMPORAL_')));
}
