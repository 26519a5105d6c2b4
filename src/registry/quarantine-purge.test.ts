/**
 * Purging discarded batches and the retention sweep, against real parts: the local artifact store
 * and an S3-compatible server (moto), the registry database on SQLite and PostgreSQL, real step
 * records on disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { LocalArtifactStore } from '../artifacts/local-artifact-store';
import { S3ArtifactStore } from '../artifacts/s3-artifact-store';
import { SqlAuditLog } from '../audit/sql-audit-log';
import type { SqlDatabase } from '../governance-db/sql-database';
import { installS3Server, startS3Server, type S3Server } from '../../test/helpers/s3-test-server';
import { stopBatch } from '../../test/support/quarantine-fixtures';
import { registration } from '../../test/support/registry-test-fixtures';
import { BACKENDS, describeEachBackend, useTestStore } from '../../test/support/test-backends';
import { purgeBatch, purgingOnDiscard, sweepQuarantine, SWEEP_ACTOR, type PurgeDeps } from './quarantine-purge';
import { defaultReferenceSources } from './reference-sources';
import { isRegistryError } from './registry-error';
import { SqlModelRegistry } from './sql-model-registry';
import { SqlQuarantine } from './sql-quarantine';
import { FileStepRecords } from '../step-records/file-step-records';

const DAY = 86_400_000;
const discard = (model: string, dataDigest: string, actor = 'ann') => ({ model, dataDigest, decision: 'discard' as const, actor, reason: 'labels flipped at ATL', origin: 'cli' });
const sweepOptions = (now: Date, expiry: 'discard' | 'report' = 'discard') => ({ retentionMs: 30 * DAY, retentionText: '30d', expiry, now: () => now });

interface World {
  db: SqlDatabase;
  q: SqlQuarantine;
  store: ArtifactStore;
  dataDir: string;
  deps: PurgeDeps;
  audit: SqlAuditLog;
  clock: { now: Date };
}

async function world(db: SqlDatabase, store: ArtifactStore, dataDir: string): Promise<World> {
  const clock = { now: new Date('2026-11-01T00:00:00Z') };
  const q = new SqlQuarantine(db, { now: () => clock.now });
  return { db, q, store, dataDir, clock, audit: new SqlAuditLog(db), deps: { quarantine: q, store, sources: defaultReferenceSources(q, dataDir) } };
}

const stored = (store: ArtifactStore, sha256: string) => store.sizeOf(sha256).then((n) => n !== undefined);

/** The behaviour both stores must show; `w()` is a fresh world per test. */
function purgeSuite(w: () => World): void {
  it('discard deletes the unshared snapshots and the files derived from them, keeps the report, and audits digests and bytes', async () => {
    const { q, store, dataDir, deps, audit } = w();
    const b = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'a' });
    const sizes = { train: b.train.bytes, holdout: b.holdout.bytes, counts: b.counts.bytes };

    const decided = await purgingOnDiscard(deps, (err) => { throw err; }).decide(discard('churn', b.batch.dataDigest));

    expect(decided.state).toBe('discarded');
    for (const ref of [b.train, b.holdout, b.counts]) expect(await stored(store, ref.sha256)).toBe(false);
    expect(await stored(store, b.report.sha256)).toBe(true);
    const [entry] = await audit.list({ action: 'data.purge' });
    expect(entry).toMatchObject({ actor: 'ann', origin: 'cli', target: `model:churn/batch:${b.batch.dataDigest}` });
    expect((entry.details.deleted as { sha256: string; bytes: number }[]).sort((x, y) => x.sha256.localeCompare(y.sha256))).toEqual(
      [
        { sha256: b.train.sha256, bytes: sizes.train },
        { sha256: b.holdout.sha256, bytes: sizes.holdout },
        { sha256: b.counts.sha256, bytes: sizes.counts },
      ].sort((x, y) => x.sha256.localeCompare(y.sha256)),
    );
    expect(entry.details).toMatchObject({ kept: [], gone: [], bytes: sizes.train + sizes.holdout + sizes.counts });
    expect(await q.unpurged()).toEqual([]);
  });

  it("keeps every byte and leaves the batch to a worker's sweep when it cannot see the workers' step records", async () => {
    const { q, store, dataDir, deps, audit } = w();
    const b = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'x' });
    // An API or CLI whose SLIPWAY_DATA_DIR is not the workers'.
    const blind = { ...deps, sources: defaultReferenceSources(q, path.join(dataDir, 'not-the-workers')) };

    await purgingOnDiscard(blind, (err) => { throw err; }).decide(discard('churn', b.batch.dataDigest));

    for (const ref of [b.train, b.holdout, b.counts]) expect(await stored(store, ref.sha256)).toBe(true);
    expect(await audit.list({ action: 'data.purge' })).toEqual([]);
    expect((await q.unpurged()).map((u) => u.dataDigest)).toEqual([b.batch.dataDigest]);

    const swept = await sweepQuarantine(deps, sweepOptions(new Date()));
    expect(swept.purged).toMatchObject([{ dataDigest: b.batch.dataDigest, audited: true, kept: [] }]);
    for (const ref of [b.train, b.holdout, b.counts]) expect(await stored(store, ref.sha256)).toBe(false);
    expect(await q.unpurged()).toEqual([]);
  });

  it('keeps a snapshot shared with a released batch or with a model version lineage, and says why', async () => {
    const { db, q, store, dataDir, deps, audit } = w();
    const shared = 'the same holdout rows\n'.repeat(10);
    const released = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'r', holdoutText: shared });
    await q.decide({ model: 'churn', dataDigest: released.batch.dataDigest, decision: 'release', actor: 'ann', reason: 'checked with the source' });
    const tainted = await stopBatch(store, q, dataDir, { model: 'churn', seed: 't', holdoutText: shared });
    const lineaged = await stopBatch(store, q, dataDir, { model: 'fraud', seed: 'l' });
    await new SqlModelRegistry(db).registerVersion(registration({ model: 'fraud', lineage: { ...registration().lineage, trainData: lineaged.train } }));

    const purge = purgingOnDiscard(deps, (err) => { throw err; });
    await purge.decide(discard('churn', tainted.batch.dataDigest));
    await purge.decide(discard('fraud', lineaged.batch.dataDigest));

    expect(await stored(store, tainted.holdout.sha256)).toBe(true);
    expect(await stored(store, tainted.train.sha256)).toBe(false);
    expect(await stored(store, lineaged.train.sha256)).toBe(true);
    expect(await stored(store, lineaged.counts.sha256)).toBe(true); // the lineage's train ref names it in its meta
    expect(await stored(store, lineaged.holdout.sha256)).toBe(false);
    const kept = Object.fromEntries((await audit.list({ action: 'data.purge' })).flatMap((e) => (e.details.kept as { sha256: string; reasons: string[] }[]).map((k) => [k.sha256, k.reasons])));
    expect(kept).toEqual({
      [tainted.holdout.sha256]: [`registry: released batch ${released.batch.dataDigest} of model "churn"`, 'step records: record wf-r/run-r/ingest'],
      [lineaged.train.sha256]: ['registry: model version fraud v1'],
      [lineaged.counts.sha256]: ['registry: model version fraud v1'],
    });
  });

  it('discards a batch undecided beyond the retention as the system, or only reports it when told to', async () => {
    const { q, store, dataDir, deps, audit, clock } = w();
    const old = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'o' });
    clock.now = new Date(clock.now.getTime() + 20 * DAY);
    const recent = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'n' });
    const later = new Date(clock.now.getTime() + 11 * DAY);

    const head = await audit.head();
    const reported = await sweepQuarantine(deps, sweepOptions(later, 'report'));
    expect(reported).toMatchObject({ expired: [], purged: [], overdue: [{ model: 'churn', dataDigest: old.batch.dataDigest }] });
    expect((await q.get('churn', old.batch.dataDigest))?.state).toBe('quarantined');
    expect(await audit.head()).toEqual(head);

    const swept = await sweepQuarantine(deps, sweepOptions(later));
    expect(swept.expired.map((b) => b.dataDigest)).toEqual([old.batch.dataDigest]);
    expect(swept.purged).toMatchObject([{ dataDigest: old.batch.dataDigest, actor: SWEEP_ACTOR, audited: true, kept: [] }]);
    expect(await q.get('churn', old.batch.dataDigest)).toMatchObject({ state: 'discarded', decision: { by: SWEEP_ACTOR, reason: expect.stringMatching(/^retention expired: undecided for more than 30d/) } });
    expect(await stored(store, old.train.sha256)).toBe(false);
    expect((await q.get('churn', recent.batch.dataDigest))?.state).toBe('quarantined');
    expect(await stored(store, recent.train.sha256)).toBe(true);
    expect((await audit.list({ action: 'data.discard' })).map((e) => e.actor)).toEqual([SWEEP_ACTOR]);
  });

  it('finishes a purge that crashed half-way on the next sweep, and audits it once', async () => {
    const { q, store, dataDir, deps, audit } = w();
    const b = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'c' });
    await q.decide(discard('churn', b.batch.dataDigest));
    // The process dies after its first delete: bytes half gone, no purge recorded.
    let deletes = 0;
    const crashing: ArtifactStore = Object.create(store, {
      delete: { value: async (sha256: string) => (++deletes > 1 ? Promise.reject(new Error('killed')) : store.delete(sha256)) },
    });
    await expect(purgeBatch({ ...deps, store: crashing }, b.batch, { actor: SWEEP_ACTOR, origin: SWEEP_ACTOR })).rejects.toThrow('killed');
    const remaining = [];
    for (const ref of [b.train, b.holdout, b.counts]) if (await stored(store, ref.sha256)) remaining.push(ref.sha256);
    expect(remaining).toHaveLength(2);
    expect(await audit.list({ action: 'data.purge' })).toEqual([]);
    expect((await q.unpurged()).map((x) => x.dataDigest)).toEqual([b.batch.dataDigest]);

    const swept = await sweepQuarantine(deps, sweepOptions(new Date()));
    expect(swept.purged).toHaveLength(1);
    expect(swept.purged[0].deleted.map((d) => d.sha256).sort()).toEqual(remaining.sort());
    expect(swept.purged[0].gone).toHaveLength(1);
    for (const ref of [b.train, b.holdout, b.counts]) expect(await stored(store, ref.sha256)).toBe(false);

    const head = await audit.head();
    expect(await sweepQuarantine(deps, sweepOptions(new Date()))).toEqual({ expired: [], overdue: [], purged: [], failed: [] });
    expect(await audit.head()).toEqual(head);
  });

  it("deletes again the bytes a re-run of the discarded batch stored, once validation refused that run", async () => {
    const { q, store, dataDir, deps, audit } = w();
    const b = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'again' });
    await purgingOnDiscard(deps, (err) => { throw err; }).decide(discard('churn', b.batch.dataDigest));
    expect(await stored(store, b.train.sha256)).toBe(false);
    // A re-run ingests the same window: same bytes, its own step record; validation refuses it and says so.
    const train = await store.putBytes(`train rows of again\n`.repeat(50), { name: 'train', mediaType: 'application/vnd.apache.parquet' });
    expect(train.sha256).toBe(b.train.sha256);
    await new FileStepRecords(path.join(dataDir, 'step-records')).put('wf-rerun/run-2/ingest', { kind: 'ingest', artifacts: { train, holdout: b.holdout }, summary: {} });
    expect(await sweepQuarantine(deps, sweepOptions(new Date()))).toMatchObject({ purged: [{ audited: false, deleted: [] }] });
    expect((await sweepQuarantine(deps, sweepOptions(new Date()))).purged[0].kept).toContainEqual({ sha256: b.train.sha256, reasons: ['step records: record wf-rerun/run-2/ingest'] });
    expect(await stored(store, b.train.sha256)).toBe(true);
    await q.refused({ model: 'churn', dataDigest: b.batch.dataDigest, workflowId: 'wf-rerun', runId: 'run-2' });
    await q.refused({ model: 'churn', dataDigest: b.batch.dataDigest, workflowId: 'wf-rerun', runId: 'run-2' });
    expect(await audit.list({ action: 'data.refuse' })).toHaveLength(1);

    const swept = await sweepQuarantine(deps, sweepOptions(new Date()));
    expect(swept.purged).toMatchObject([{ again: true, deleted: [{ sha256: b.train.sha256, bytes: b.train.bytes }], kept: [] }]);
    expect(await stored(store, b.train.sha256)).toBe(false);
    expect((await audit.list({ action: 'data.purge' })).map((e) => e.reason)).toEqual([
      expect.stringMatching(/^discarded batch: 3 artifact/),
      expect.stringMatching(/^discarded batch stored again after its purge: 1 artifact/),
    ]);
    const head = await audit.head();
    expect((await sweepQuarantine(deps, sweepOptions(new Date()))).purged).toEqual([]);
    expect(await audit.head()).toEqual(head);
  });

  it('refuses to purge a batch that is not discarded, and changes nothing', async () => {
    const { q, store, dataDir, deps, audit } = w();
    const b = await stopBatch(store, q, dataDir, { model: 'churn', seed: 'q' });
    const head = await audit.head();
    const err = await purgeBatch(deps, b.batch, { actor: 'mallory', origin: 'cli' }).then(() => undefined, (e: unknown) => e);
    expect(isRegistryError(err, 'invalid-input')).toBe(true);
    expect((err as Error).message).toMatch(/is quarantined, not discarded: its bytes are kept/);
    const err2 = await q.recordPurge({ model: 'churn', dataDigest: b.batch.dataDigest, actor: 'mallory', origin: 'cli', deleted: [], gone: [], kept: [] }).then(() => undefined, (e: unknown) => e);
    expect(isRegistryError(err2, 'invalid-input')).toBe(true);
    for (const ref of [b.train, b.holdout, b.counts]) expect(await stored(store, ref.sha256)).toBe(true);
    expect(await q.get('churn', b.batch.dataDigest)).toEqual(b.batch);
    expect(await audit.head()).toEqual(head);
  });
}

describeEachBackend('purging discarded batches from the local artifact store', (backend) => {
  const testStore = useTestStore(backend);
  let dir: string;
  let current: World;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-purge-'));
    current = await world(await testStore().open(), new LocalArtifactStore({ root: path.join(dir, 'artifacts') }), dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
  purgeSuite(() => current);
});

describe('purging discarded batches from an S3-compatible store (moto), registry on SQLite', () => {
  const testStore = useTestStore(BACKENDS[0]);
  let server: S3Server;
  let s3: S3Client;
  let bucket: string;
  let dir: string;
  let current: World;
  beforeAll(async () => {
    installS3Server();
    server = await startS3Server();
    s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  }, 180_000);
  afterAll(() => server?.stop());
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-purge-s3-'));
    bucket = `slipway-${randomBytes(4).toString('hex')}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = new S3ArtifactStore({ client: s3, bucket, prefix: 'team', cacheRoot: path.join(dir, 'cache') });
    current = await world(await testStore().open(), store, dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
  purgeSuite(() => current);

  it('deletes the object from the bucket and the copy from the local cache', async () => {
    const { q, store, dataDir, deps } = current;
    const b = await stopBatch(store, q, dataDir, { model: 'churn', seed: 's' });
    const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!.slice(-64));
    expect(await keys()).toContain(b.train.sha256);
    await purgingOnDiscard(deps, (err) => { throw err; }).decide(discard('churn', b.batch.dataDigest));
    const left = await keys();
    expect(left).not.toContain(b.train.sha256);
    expect(left).toContain(b.report.sha256);
    expect(await new LocalArtifactStore({ root: path.join(dir, 'cache') }).sizeOf(b.train.sha256)).toBeUndefined();
  });
});
