/**
 * `slipway audit verify | list`, `slipway models lineage` and token management as a user runs
 * them: the real CLI process against a real registry database, on SQLite and PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { artifact, move, registration } from '../support/registry-test-fixtures';
import { BACKENDS } from '../support/test-backends';
import { createGovernanceStore, type GovernanceStore } from './governance-store';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'slipway');
const REPORT = (c: string) => `artifact://sha256/${c.repeat(64)}`;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`slipway audit, lineage and tokens on ${backend.name}${backend.skip ? ` (SKIPPED: ${backend.skip})` : ''}`, () => {
    let store: GovernanceStore;
    let dataDir: string;
    let governance: Governance;
    let cliEnv: NodeJS.ProcessEnv;

    beforeEach(async () => {
      store = await createGovernanceStore(backend.name);
      dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-cli-gov-'));
      const env = { SLIPWAY_DATA_DIR: dataDir, ...store.env };
      governance = await openGovernance(loadConfig(env));
      // A clean environment: no token or registry settings leak in from the developer's shell.
      const { SLIPWAY_TOKEN: _t, SLIPWAY_REGISTRY_URL: _u, SLIPWAY_REGISTRY_PATH: _p, ...inherited } = process.env;
      cliEnv = { ...inherited, ...env };
    });

    afterEach(async () => {
      await governance?.close();
      await store?.cleanup();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    });

    const slipway = (args: string[], extra: Record<string, string> = {}) =>
      run(BIN, args, { env: { ...cliEnv, ...extra }, timeout: 60_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    it('bootstraps the first admin once, manages tokens with it, and refuses without an admin token', async () => {
      const boot = await slipway(['tokens', 'bootstrap', 'root', '--json']);
      expect(boot.code).toBe(0);
      const admin = { SLIPWAY_TOKEN: JSON.parse(boot.stdout).token as string };
      expect((await slipway(['tokens', 'bootstrap', 'mallory'])).stderr).toMatch(/already set up/);

      expect((await slipway(['principals', 'set', 'ann', '--role', 'approver', '--reason', 'on call'], admin)).code).toBe(0);
      expect((await slipway(['grants', 'add', 'ann', 'churn', '--alias', 'champion'], admin)).code).toBe(0);
      const created = await slipway(['tokens', 'create', 'ann', '--label', 'laptop', '--json'], admin);
      const annToken = JSON.parse(created.stdout) as { token: string; info: { id: string } };
      expect(await governance.access.authenticate(annToken.token)).toMatchObject({ name: 'ann', roles: ['approver'], grants: [{ model: 'churn', alias: 'champion' }] });

      const asAnn = await slipway(['tokens', 'create', 'ann', '--label', 'more'], { SLIPWAY_TOKEN: annToken.token });
      expect(asAnn.code).toBe(2);
      expect(asAnn.stderr).toMatch(/Permission denied: ann .* needs the admin role/);
      const anonymous = await slipway(['tokens', 'list']);
      expect(anonymous.code).toBe(2);
      expect(anonymous.stderr).toMatch(/set SLIPWAY_TOKEN to an admin token/);
      expect((await slipway(['tokens', 'list'], { SLIPWAY_TOKEN: `slw_${'x'.repeat(43)}` })).stderr).toMatch(/SLIPWAY_TOKEN is not a valid token/);

      expect((await slipway(['tokens', 'revoke', annToken.info.id, '--reason', 'laptop lost'], admin)).code).toBe(0);
      expect(await governance.access.authenticate(annToken.token)).toBeUndefined();

      const listed = JSON.parse((await slipway(['audit', 'list', '--actor', 'root', '--json'])).stdout) as { action: string; target: string; origin: string; reason: string }[];
      expect(listed.map((e) => [e.action, e.target, e.origin, e.reason])).toEqual([
        ['token.revoke', `token:${annToken.info.id}`, 'cli', 'laptop lost'],
        ['token.create', `token:${annToken.info.id}`, 'cli', ''],
        ['grant.change', 'principal:ann', 'cli', ''],
        ['principal.change', 'principal:ann', 'cli', 'on call'],
      ]);
      expect(JSON.stringify(listed)).not.toContain(annToken.token);
    });

    it('verifies an intact chain (exit 0) and names the first edited entry when a row was tampered with (exit 4)', async () => {
      for (const [i, actor] of ['alice', 'bob', 'carol', 'dave'].entries()) {
        await governance.audit.append({ actor, action: 'run.start', target: `run:r${i}`, reason: `n${i}`, origin: 'test' });
      }
      const intact = await slipway(['audit', 'verify']);
      expect(intact).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit log intact: 4 entries; head seq 4 hash [0-9a-f]{64}\n$/) });

      // Someone with database access drops the append-only triggers and edits history.
      await store.dropAppendOnlyGuard('audit_log');
      await store.raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
      const broken = await slipway(['audit', 'verify']);
      expect(broken.code).toBe(4);
      expect(broken.stdout).toMatch(/^audit log BROKEN at entry 2 \(seq 3, edited\): /);
      const json = JSON.parse((await slipway(['audit', 'verify', '--json'])).stdout);
      expect(json).toMatchObject({ ok: false, problem: { index: 2, seq: 3, kind: 'edited' } });
    });

    it('catches a deleted entry and a log cut against a head recorded earlier', async () => {
      for (let i = 0; i < 4; i++) await governance.audit.append({ actor: 'alice', action: 'run.cancel', target: `run:r${i}` });
      const head = await governance.audit.head();
      await store.dropAppendOnlyGuard('audit_log');
      await store.raw('DELETE FROM audit_log WHERE seq = 2');
      const missing = await slipway(['audit', 'verify']);
      expect(missing.code).toBe(4);
      expect(missing.stdout).toMatch(/BROKEN at entry 1 \(seq 3, missing\)/);

      expect((await slipway(['audit', 'verify', '--expect-seq', String(head.seq + 1), '--expect-hash', head.hash])).code).toBe(4);
    });

    it('prints a version lineage from data snapshot to deployments, as text and JSON', async () => {
      for (const i of [1, 2]) {
        await governance.registry.registerVersion(
          registration({
            idempotencyKey: `wf-${i}/register`,
            artifact: { ...artifact(`a${i}`), meta: { label: 'churned', features: { numeric: ['tenure'] } } },
            lineage: {
              ...registration().lineage,
              workflowId: `wf-${i}`,
              codeVersion: 'c0ffee1234567890',
              dataWindow: { from: '2025-01-01', to: '2025-02-01' },
              blessed: true,
              'validation-report': REPORT('f'),
              'evaluation-report': REPORT('e'),
            },
          }),
        );
      }
      await governance.registry.setAlias(move({ version: 1, actor: 'workflow:wf-1', reason: 'first model' }));
      await governance.registry.setAlias(move({ version: 2, expectedVersion: 1, actor: 'alice', reason: 'canary passed' }));

      const text = await slipway(['models', 'lineage', 'churn', 'v1']);
      expect(text.code).toBe(0);
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^churn v1 {2}\(registered \S+\)$/);
      expect(lines.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual([
        `data digest ${'d'.repeat(12)}`,
        `validation report ${'f'.repeat(12)}`,
        'training builtin.logistic run',
        `pipeline churn-daily spec`,
        `evaluation report ${'e'.repeat(12)}`,
        'deployments champion ' + lines[6].trim().split(/\s+/)[2],
      ]);
      expect(lines[1]).toContain('window 2025-01-01 → 2025-02-01');
      expect(lines[3]).toContain('run wf-1 / run-1');
      expect(lines[6]).toMatch(/champion \S+ → \S+ {2}by workflow:wf-1: first model$/);

      const json = JSON.parse((await slipway(['models', 'lineage', 'churn', '2', '--json'])).stdout);
      expect(json).toMatchObject({
        model: 'churn',
        version: 2,
        data: { digest: 'd'.repeat(64) },
        validation: { report: REPORT('f') },
        training: { workflowId: 'wf-2', trainer: 'builtin.logistic' },
        evaluation: { report: REPORT('e'), blessed: true },
        deployments: [{ alias: 'champion', until: null, actor: 'alice', reason: 'canary passed' }],
        aliases: ['champion'],
      });
      const unknown = await slipway(['models', 'lineage', 'churn', 'v9']);
      expect(unknown).toMatchObject({ code: 2, stderr: 'slipway: models:/churn/9: model churn has no version 9; its versions are 1 to 2\n' });
    });
  });
}
