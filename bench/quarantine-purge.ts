/**
 * `npm run bench:purge [-- records]`: what a discard's purge costs as step records pile up. A
 * SQLite registry with one discarded batch, a local artifact store, and `records` step records of
 * other runs (default 20,000, each the size of an ingest record); the purge reads every record
 * that could mention the batch's digests. Floor: reading the same files and searching them for
 * the digests, with nothing else (the least any check of the records can cost).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { openGovernance } from '../src/registry/create-registry';
import { referencesOf } from '../src/registry/artifact-references';
import { purgeBatch } from '../src/registry/quarantine-purge';
import { defaultReferenceSources } from '../src/registry/reference-sources';
import { FileStepRecords } from '../src/step-records/file-step-records';
import { stopBatch } from '../test/support/quarantine-fixtures';

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 20_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-purge-'));
  const governance = await openGovernance({ registryPath: path.join(dir, 'registry.sqlite') });
  try {
    const store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
    const stepRecords = new FileStepRecords(path.join(dir, 'step-records'));
    const other = { uri: `artifact://sha256/${'e'.repeat(64)}`, sha256: 'e'.repeat(64), bytes: 1, name: 'train', mediaType: 'application/vnd.apache.parquet', meta: { rows: 100_000, columns: Array.from({ length: 20 }, (_, i) => `feature_${i}`) } };
    for (let i = 0; i < records; i++) {
      await stepRecords.put(`wf-${i}/run-${i}/ingest`, { kind: 'ingest', artifacts: { train: other, holdout: other }, summary: { rows: 100_000, dataDigest: 'f'.repeat(64) } });
    }
    const b = await stopBatch(store, governance.quarantine, dir, { model: 'churn', seed: 'bench' });
    await governance.quarantine.decide({ model: 'churn', dataDigest: b.batch.dataDigest, decision: 'discard', actor: 'bench', reason: 'bench' });
    const digests = [b.train.sha256, b.holdout.sha256, b.counts.sha256];

    const root = path.join(dir, 'step-records');
    const floor = async () => {
      let mentions = 0;
      for (const shard of await readdir(root)) {
        for (const name of await readdir(path.join(root, shard))) {
          const text = await readFile(path.join(root, shard, name), 'utf8');
          if (digests.some((d) => text.includes(d))) mentions++;
        }
      }
      return mentions;
    };
    const runs = await governance.quarantine.runsOf(b.batch.model, b.batch.dataDigest);
    const sources = defaultReferenceSources(governance.quarantine, dir);
    const check = () => referencesOf(digests, { model: b.batch.model, dataDigest: b.batch.dataDigest, runs }, sources);
    // Rounds alternate which goes first, so neither side alone gets the warm page cache.
    const floorMs: number[] = [];
    const checkMs: number[] = [];
    let mentions = 0;
    for (let round = 0; round < 3; round++) {
      for (const side of round % 2 === 0 ? ['floor', 'check'] : ['check', 'floor']) {
        const t = performance.now();
        if (side === 'floor') mentions = await floor();
        else await check();
        (side === 'floor' ? floorMs : checkMs).push(performance.now() - t);
      }
    }
    const start = performance.now();
    const result = await purgeBatch({ quarantine: governance.quarantine, store, sources }, b.batch, { actor: 'bench', origin: 'bench' });
    const purgeMs = performance.now() - start;
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    console.log(`step records: ${records + 1} (${mentions} mention the batch: its own ingest)`);
    console.log(`reference check (registry, step records, step cache), median of 3: ${median(checkMs).toFixed(0)} ms [${checkMs.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`floor (read every step record and search it for the 3 digests), median of 3: ${median(floorMs).toFixed(0)} ms [${floorMs.map((x) => x.toFixed(0)).join(', ')}]; ratio ${(median(checkMs) / median(floorMs)).toFixed(2)}x`);
    console.log(`whole purge once (check, 3 deletes, audit): ${purgeMs.toFixed(0)} ms, deleted ${result.deleted.length}, kept ${result.kept.length}`);
    console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await governance.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
