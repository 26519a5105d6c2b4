/** The `slipway` command line as a user runs it: a real process against a real dev server. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGovernance } from '../../src/registry/create-registry';
import { move, registration } from '../support/registry-test-fixtures';
import { startHarness, TEST_SIGNING_KEY, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'slipway');

describe('slipway CLI', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = await startDevServer();
    h = await startHarness(env);
    cliEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      SLIPWAY_TASK_QUEUE: h.config.taskQueue,
      SLIPWAY_DATA_DIR: h.dataDir,
      SLIPWAY_PIPELINES_DIR: h.config.pipelinesDir,
      // The CLI host shares the workers' run-signing key, so the worker can verify who acts.
      SLIPWAY_RUN_SIGNING_KEY: TEST_SIGNING_KEY,
    };
  });

  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });

  const slipway = (args: string[], env = cliEnv) =>
    run(BIN, args, { env, timeout: 120_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('runs a pipeline to completion and prints its result as JSON', async () => {
    const r = await slipway(['run', 'flight-delay-builtin', '--set', 'ingest.window.from=2001-03-01', '--set', 'ingest.window.to=2001-03-10', '--key', 'cli-1', '--json']);
    expect(r.stderr).not.toMatch(/slipway:/);
    const result = JSON.parse(r.stdout);
    expect(result.workflowId).toBe('flight-delay-builtin-cli-1');
    expect(result.stage).toBe('completed');
    expect(result.outputs.ingest.summary.window).toMatchObject({ from: expect.stringMatching(/^2001-03-01/), to: expect.stringMatching(/^2001-03-10/) });

    // Without SLIPWAY_TOKEN the CLI acts as the local user, and says so in the audit log.
    const audit = JSON.parse((await slipway(['audit', 'list', '--target', 'run:flight-delay-builtin-cli-1', '--json'])).stdout);
    // Newest first: the outcome, then the intent written before the run was started.
    const actor = `local:${cliEnv.USER ?? 'cli'}`;
    expect(audit).toMatchObject([
      { action: 'run.start', actor, origin: 'cli', details: { phase: 'outcome', outcome: 'succeeded', created: true } },
      { action: 'run.start', actor, origin: 'cli', details: { phase: 'intent', workflowType: 'pipeline' } },
    ]);
    expect(audit[0].details.intentSeq).toBe(audit[1].seq);
  }, 120_000);

  it('shows the run in the list and its status', async () => {
    const list = JSON.parse((await slipway(['runs', '--json'])).stdout);
    expect(list.map((x: { workflowId: string }) => x.workflowId)).toContain('flight-delay-builtin-cli-1');
    const status = await slipway(['status', 'flight-delay-builtin-cli-1']);
    expect(status.stdout).toMatch(/stage completed/);
    expect(status.stdout).toMatch(/ingest\s+\[#+\] succeeded/);
  });

  it('compares registered versions in a table', async () => {
    const r = await slipway(['models', 'compare', 'flight-delay', 'v1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^auc\s+0\.\d{4}$/m);
  });

  it('rejects an invalid override before starting anything, naming the path', async () => {
    const r = await slipway(['run', 'flight-delay-builtin', '--set', 'ingest.window.from=yesterday', '--key', 'cli-bad']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('steps[0].with.window.from: expected an ISO date');
    const list = JSON.parse((await slipway(['runs', '--json'])).stdout);
    expect(list.map((x: { workflowId: string }) => x.workflowId)).not.toContain('flight-delay-builtin-cli-bad');
  });

  it('rolls back through the rollback workflow as the principal of SLIPWAY_TOKEN, and refuses one without the model grant', async () => {
    const governance = await openGovernance(h.config);
    try {
      const { access, registry } = governance;
      for (const i of [1, 2]) await registry.registerVersion(registration({ model: 'cli-rb', idempotencyKey: `cli-rb-${i}/register` }));
      await registry.setAlias(move({ model: 'cli-rb', version: 2, actor: 'workflow:cli-rb-2', reason: 'blessed' }));
      const root = (await access.authenticate((await access.bootstrap({ admin: 'root' })).token))!;
      await access.setPrincipal({ name: 'ann', roles: ['approver'] }, root);
      await access.setPrincipal({ name: 'noah', roles: ['approver'] }, root);
      await access.grant({ principal: 'ann', model: 'cli-rb' }, root);
      const as = async (name: string) => ({ ...cliEnv, SLIPWAY_TOKEN: (await access.createToken({ principal: name, label: 'cli' }, root)).token });

      // The target named by URI (`<model> <version>` is the other form, used below).
      const done = await slipway(['rollback', 'models:/cli-rb/1', '--reason', 'v2 degraded', '--json'], await as('ann'));
      expect(done.stderr).toBe('');
      expect(JSON.parse(done.stdout)).toMatchObject({
        fromVersion: 2,
        toVersion: 1,
        actor: 'ann',
        reason: 'v2 degraded',
        workflowId: expect.stringMatching(/^rollback-cli-rb-[0-9a-f-]{36}$/),
        serving: { skipped: expect.any(String) },
      });
      expect((await registry.getAlias('cli-rb', 'champion'))?.version).toBe(1);

      const unknown = await slipway(['rollback', 'cli-rb', 'v9', '--reason', 'typo'], await as('ann'));
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('models:/cli-rb/9: model cli-rb has no version 9; its versions are 1 to 2');

      const denied = await slipway(['rollback', 'cli-rb', 'v2', '--reason', 'not mine'], await as('noah'));
      expect(denied.code).toBe(2);
      expect(denied.stderr).toMatch(/Permission denied: noah has the approver role but no grant to move aliases of cli-rb@champion/);
      expect((await registry.getAlias('cli-rb', 'champion'))?.version).toBe(1);

      const audit = await governance.audit.list({ targetPrefix: 'model:cli-rb', action: 'model.rollback' });
      expect(audit.map((e) => [e.actor, e.reason, e.details.toVersion])).toEqual([['ann', 'v2 degraded', 1]]);
      const listed = await slipway(['audit', 'list', '--target', 'model:cli-rb', '--json']);
      expect(JSON.parse(listed.stdout).map((e: { action: string }) => e.action)).toEqual(['model.rollback', 'alias.move', 'version.register', 'version.register']);
    } finally {
      await governance.close();
    }
  });

  it('says how to fix it when Temporal is not reachable', async () => {
    const r = await slipway(['runs'], { ...cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot reach Temporal at 127\.0\.0\.1:1 .*\n.*make dev-server/);
  });
});
