import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStepCache } from '../cache/file-step-cache';
import type { ArtifactRef } from '../pipeline/types';
import { FileStepRecords } from '../step-records/file-step-records';
import { isOwnRun, purgeableDigests, referencesOf, type PurgedBatch, type ReferenceSource } from './artifact-references';
import { stepCacheReferences, stepRecordReferences } from './reference-sources';

const hex = (c: string) => c.repeat(64);
const ref = (sha256: string, meta?: Record<string, unknown>): ArtifactRef => ({ uri: `artifact://sha256/${sha256}`, sha256, bytes: 10, name: 'x', mediaType: 'application/octet-stream', ...(meta ? { meta } : {}) });
const batch: PurgedBatch = { model: 'churn', dataDigest: hex('d'), runs: [{ workflowId: 'wf-1', runId: 'run-1' }, { workflowId: 'wf-0' }] };

describe('purgeableDigests', () => {
  it('lists the snapshots and the files their meta names, never the reports', () => {
    const counts = ref(hex('c'));
    const digests = purgeableDigests({
      snapshots: { train: ref(hex('a'), { labelSource: { column: 'delay', slices: [], counts } }), holdout: ref(hex('b'), { labelSource: { counts } }) },
      report: `artifact://sha256/${hex('e')}`,
      reportHtml: `artifact://sha256/${hex('f')}`,
    });
    expect(digests.sort()).toEqual([hex('a'), hex('b'), hex('c')]);
  });

  it('leaves a report out even when a snapshot meta names it', () => {
    const report = `artifact://sha256/${hex('e')}`;
    expect(purgeableDigests({ snapshots: { train: ref(hex('a'), { report }), holdout: ref(hex('b')) }, report, reportHtml: report }).sort()).toEqual([hex('a'), hex('b')]);
  });

  it('reads digests from typed fields only: text from the data naming an artifact URI deletes nothing else', () => {
    const forged = `note artifact://sha256/${hex('9')}`;
    const meta = { label: 'label', features: [forged], schema: [{ name: forged, type: 'DOUBLE' }], source: { path: 'x.csv', format: 'csv', files: 1, columns: [], select: `SELECT 1 AS "${forged}"` }, classes: [forged] };
    const digests = purgeableDigests({ snapshots: { train: ref(hex('a'), meta), holdout: ref(hex('b'), meta) }, report: '', reportHtml: '' });
    expect(digests.sort()).toEqual([hex('a'), hex('b')]);
  });
});

describe('isOwnRun', () => {
  it.each([
    [{ workflowId: 'wf-1', runId: 'run-1' }, true],
    [{ workflowId: 'wf-1', runId: 'run-2' }, false],
    // A run known by its workflow id only (an audit entry from before run ids were recorded) matches any run of it.
    [{ workflowId: 'wf-0', runId: 'anything' }, true],
    [{ workflowId: 'wf-9', runId: 'run-1' }, false],
  ])('%o is the batch own run: %s', (run, own) => {
    expect(isOwnRun(batch, run)).toBe(own);
  });
});

describe('referencesOf', () => {
  const source = (name: string, found: Record<string, string[]>): ReferenceSource => ({ name, holders: async () => new Map(Object.entries(found)) });

  it('names every holder per digest, and nothing for an unreferenced one', async () => {
    const reasons = await referencesOf([hex('a'), hex('b')], batch, [source('registry', { [hex('a')]: ['model version churn v3'] }), source('step cache', { [hex('a')]: ['ingest entry k'] })]);
    expect(Object.fromEntries(reasons)).toEqual({ [hex('a')]: ['registry: model version churn v3', 'step cache: ingest entry k'], [hex('b')]: [] });
  });

  it('keeps every digest when a source cannot answer, saying why', async () => {
    const broken: ReferenceSource = {
      name: 'step records',
      holders: async () => {
        throw new Error('EACCES: permission denied');
      },
    };
    const reasons = await referencesOf([hex('a'), hex('b')], batch, [source('registry', {}), broken]);
    expect(reasons.get(hex('b'))).toEqual(['could not check step records: EACCES: permission denied']);
    expect(reasons.get(hex('a'))).toHaveLength(1);
  });
});

describe('step records and step cache as reference sources', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-refs-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const ingestOutput = (train: string) => ({ kind: 'ingest' as const, artifacts: { train: ref(train), holdout: ref(hex('b')) }, summary: {} });

  it("counts other runs' records, not the batch's own, and an unreadable record as a holder", async () => {
    const root = path.join(dir, 'step-records');
    const records = new FileStepRecords(root);
    await records.put('wf-1/run-1/ingest', ingestOutput(hex('a')));
    await records.put('wf-0/old-run/ingest', ingestOutput(hex('a')));
    await records.put('wf-7/run-7/ingest', ingestOutput(hex('a')));
    await records.put('wf-8/run-8/ingest', ingestOutput(hex('9')));
    await mkdir(path.join(root, 'zz'), { recursive: true });
    await writeFile(path.join(root, 'zz', 'broken.json'), `{"key": "wf-3/r/ingest", ${hex('a')}`);
    await writeFile(path.join(root, 'zz', 'in-flight.tmp'), hex('a'));

    const found = await stepRecordReferences(root).holders([hex('a'), hex('b'), hex('c')], batch);
    expect(found.get(hex('a'))?.sort()).toEqual(['record wf-7/run-7/ingest', 'unreadable zz/broken.json']);
    // Every ingest record names the holdout too; only the foreign ones count.
    expect(found.get(hex('b'))?.sort()).toEqual(['record wf-7/run-7/ingest', 'record wf-8/run-8/ingest']);
    expect(found.get(hex('c'))).toBeUndefined();
  });

  it('counts cache entries produced by other runs only', async () => {
    const root = path.join(dir, 'step-cache');
    const cache = new FileStepCache(root);
    const at = new Date(0).toISOString();
    await cache.put({ key: hex('1'), kind: 'ingest', output: ingestOutput(hex('a')), producedBy: { workflowId: 'wf-0', runId: 'first', stepId: 'ingest', at } });
    await cache.put({ key: hex('2'), kind: 'ingest', output: ingestOutput(hex('a')), producedBy: { workflowId: 'other', runId: 'r', stepId: 'ingest', at } });
    const found = await stepCacheReferences(root).holders([hex('a')], batch);
    expect(found.get(hex('a'))).toEqual([`ingest entry ${hex('2')} of run other/r`]);
  });

  it('finds nothing in a cache folder that does not exist yet, nor in missing step records of a batch no run stopped', async () => {
    expect((await stepCacheReferences(path.join(dir, 'none')).holders([hex('a')], batch)).size).toBe(0);
    expect((await stepRecordReferences(path.join(dir, 'none')).holders([hex('a')], { ...batch, runs: [] })).size).toBe(0);
  });

  it("keeps every digest when the step records of the batch's runs are not where it looks (another SLIPWAY_DATA_DIR)", async () => {
    const missing = path.join(dir, 'elsewhere', 'step-records');
    await expect(stepRecordReferences(missing).holders([hex('a')], batch)).rejects.toThrow(/no step records at .*elsewhere.*SLIPWAY_DATA_DIR/);
    const reasons = await referencesOf([hex('a'), hex('b')], batch, [stepRecordReferences(missing)]);
    expect([...reasons.values()].map((r) => r.length)).toEqual([1, 1]);
    expect(reasons.get(hex('a'))![0]).toMatch(/^could not check step records: no step records at /);
  });
});
