/**
 * `slipway data sweep` as a user runs it: the real CLI process against a real SQLite registry and
 * the local artifact store under SLIPWAY_DATA_DIR. Only an admin may run it; a refusal leaves the
 * files, the rows and the audit head as they were.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { loadConfig } from '../../src/config';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { stopBatch, type StoppedBatch } from '../support/quarantine-fixtures';
import { createGovernanceStore, type GovernanceStore } from './governance-store';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'slipway');

describe('slipway data sweep', () => {
  let store: GovernanceStore;
  let dataDir: string;
  let governance: Governance;
  let artifacts: LocalArtifactStore;
  let cliEnv: NodeJS.ProcessEnv;
  let b: StoppedBatch;
  const tokens = { admin: '', approver: '' };

  beforeAll(async () => {
    store = await createGovernanceStore('sqlite');
    dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-cli-sweep-'));
    // The shortest retention allowed, and a test batch stopped two hours ago: past it.
    const env = { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_QUARANTINE_RETENTION: '1h', ...store.env };
    const config = loadConfig(env);
    governance = await openGovernance(config, { now: () => new Date(Date.now() - 2 * 3_600_000) });
    artifacts = new LocalArtifactStore({ root: config.artifactRoot });
    tokens.admin = (await governance.access.bootstrap({ admin: 'root' })).token;
    const root = (await governance.access.authenticate(tokens.admin))!;
    await governance.access.setPrincipal({ name: 'ann', roles: ['approver'] }, root);
    await governance.access.grant({ principal: 'ann', model: 'churn', alias: 'champion' }, root);
    tokens.approver = (await governance.access.createToken({ principal: 'ann', label: 'laptop' }, root)).token;
    b = await stopBatch(artifacts, governance.quarantine, dataDir, { model: 'churn', seed: 'cli' });
    const { SLIPWAY_TOKEN: _t, SLIPWAY_REGISTRY_URL: _u, SLIPWAY_REGISTRY_PATH: _p, ...inherited } = process.env;
    cliEnv = { ...inherited, ...env };
  });
  afterAll(async () => {
    await governance?.close();
    await store?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const slipway = (args: string[], token: string) =>
    run(BIN, args, { env: { ...cliEnv, SLIPWAY_TOKEN: token }, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const stored = () => Promise.all([b.train, b.holdout, b.counts, b.report].map(async (r) => (await artifacts.sizeOf(r.sha256)) !== undefined));

  it('refuses an approver, changing nothing', async () => {
    const head = await governance.audit.head();
    const refused = await slipway(['data', 'sweep'], tokens.approver);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/data\.sweep/);
    expect(await stored()).toEqual([true, true, true, true]);
    expect(await governance.quarantine.get('churn', b.batch.dataDigest)).toEqual(b.batch);
    expect(await governance.audit.head()).toEqual(head);
  });

  it('lets an admin discard what is past the retention and purge it', async () => {
    const swept = await slipway(['data', 'sweep', '--json'], tokens.admin);
    expect(swept.code).toBe(0);
    expect(JSON.parse(swept.stdout)).toMatchObject({ expired: [{ dataDigest: b.batch.dataDigest }], purged: [{ dataDigest: b.batch.dataDigest, kept: [] }], failed: [] });
    expect(await stored()).toEqual([false, false, false, true]);
    expect(await governance.quarantine.get('churn', b.batch.dataDigest)).toMatchObject({ state: 'discarded', decision: { by: 'system:quarantine-sweep', reason: expect.stringContaining('retention expired: undecided for more than 1h') } });
  });
});
