import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../artifacts/local-artifact-store';
import { stopBatch } from '../../test/support/quarantine-fixtures';
import { openGovernance, type Governance } from './create-registry';
import { defaultReferenceSources } from './reference-sources';
import { startQuarantineSweeps } from './quarantine-sweeper';

describe('startQuarantineSweeps', () => {
  let dir: string;
  let governance: Governance;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-sweeper-'));
    governance = await openGovernance({ registryPath: path.join(dir, 'registry.sqlite') });
  });
  afterEach(async () => {
    await governance.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps once at start, and stop waits for that sweep before the database may close', async () => {
    const store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
    const b = await stopBatch(store, governance.quarantine, dir, { model: 'churn', seed: 'w' });
    const lines: unknown[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const sweeps = startQuarantineSweeps(
      { quarantine: governance.quarantine, store, sources: defaultReferenceSources(governance.quarantine, dir) },
      { retentionMs: 1, retentionText: '1ms', expiry: 'discard', now: () => new Date(Date.now() + 60_000) },
      log,
      3_600_000,
    );
    await sweeps.stop();
    expect(await governance.quarantine.get('churn', b.batch.dataDigest)).toMatchObject({ state: 'discarded', decision: { by: 'system:quarantine-sweep' } });
    expect(await store.sizeOf(b.train.sha256)).toBeUndefined();
    expect(lines.map((l) => (l as { msg: string }).msg)).toEqual(['quarantined batch discarded: retention expired', 'discarded batch purged']);
  });
});
