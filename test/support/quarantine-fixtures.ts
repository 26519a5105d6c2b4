/**
 * A batch stopped by validation, with real bytes in a real artifact store: train and holdout
 * snapshots (the train meta naming a derived counts file, as ingest writes it), the two reports,
 * the quarantine row, and the ingest step record of the run that stopped it.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ArtifactStore } from '../../src/artifacts/artifact-store';
import type { ArtifactRef } from '../../src/pipeline/types';
import type { BatchQuarantine, QuarantinedBatch } from '../../src/registry/quarantine';
import { FileStepRecords } from '../../src/step-records/file-step-records';

export interface StoppedBatch {
  batch: QuarantinedBatch;
  train: ArtifactRef;
  holdout: ArtifactRef;
  counts: ArtifactRef;
  report: ArtifactRef;
}

/**
 * Stores the batch's files and quarantines it. `holdoutText` lets two batches share a holdout
 * snapshot (same bytes, same digest).
 */
export async function stopBatch(
  store: ArtifactStore,
  quarantine: BatchQuarantine,
  dataDir: string,
  options: { model: string; seed: string; holdoutText?: string },
): Promise<StoppedBatch> {
  const { model, seed } = options;
  const counts = await store.putBytes(`delay,count\n0,${seed.length}\n${seed}\n`, { name: 'label-source-counts', mediaType: 'application/vnd.apache.parquet' });
  const train = await store.putBytes(`train rows of ${seed}\n`.repeat(50), {
    name: 'train',
    mediaType: 'application/vnd.apache.parquet',
    meta: { rows: 50, labelSource: { column: 'delay', slices: [], counts } },
  });
  const holdout = await store.putBytes(options.holdoutText ?? `holdout rows of ${seed}\n`.repeat(10), { name: 'holdout', mediaType: 'application/vnd.apache.parquet', meta: { rows: 10 } });
  const report = await store.putJson({ checks: [{ name: 'labelConsistency', status: 'fail' }], seed }, { name: 'validation-report' });
  const html = await store.putBytes(`<html>${seed}</html>`, { name: 'validation-report-html', mediaType: 'text/html' });
  const workflowId = `wf-${seed}`;
  const runId = `run-${seed}`;
  await new FileStepRecords(path.join(dataDir, 'step-records')).put(`${workflowId}/${runId}/ingest`, { kind: 'ingest', artifacts: { train, holdout }, summary: {} });
  const batch = await quarantine.quarantine({
    model,
    dataDigest: createHash('sha256').update(`${train.sha256}:${holdout.sha256}`).digest('hex'),
    workflowId,
    runId,
    snapshots: { train, holdout },
    report: report.uri,
    reportHtml: html.uri,
    failed: ['labelConsistency(origin)'],
    findings: [{ check: 'labelConsistency', where: 'origin = ATL' }],
  });
  return { batch, train, holdout, counts, report };
}
