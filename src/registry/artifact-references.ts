/**
 * Who still refers to an artifact digest, before a discarded batch's bytes are deleted.
 * Content addressing shares bytes: one snapshot can belong to several batches, runs and model
 * lineages, so deleting it for one discarded batch could break another. The check is
 * conservative: a source that cannot answer keeps every digest it was asked about, saying why.
 */
import type { BatchRun, QuarantinedBatch } from './quarantine';

/** The batch being purged: its own references do not keep its bytes. */
export interface PurgedBatch {
  model: string;
  dataDigest: string;
  /** Every run known to have stopped the batch (its step records and cache entries are its own). */
  runs: readonly BatchRun[];
}

/** One place that may refer to artifacts (the registry database, step records, the step cache). */
export interface ReferenceSource {
  /** Short name used in reasons, e.g. `step records`. */
  readonly name: string;
  /**
   * For each of `digests` that something here refers to, labels of what does (a model version,
   * a run's step record), leaving out what belongs to `batch` itself. Digests nobody refers to
   * may be absent from the map.
   */
  holders(digests: readonly string[], batch: PurgedBatch): Promise<Map<string, string[]>>;
}

const ARTIFACT_URI = /artifact:\/\/sha256\/([0-9a-f]{64})/g;
const DIGEST = /^[0-9a-f]{64}$/;

/**
 * The digests a discarded batch's purge deletes: its train and holdout snapshots and the derived
 * files their meta names by typed field (the label source counts). Only typed fields: the meta
 * also carries text from the data and the spec (column names, `source.select`, class values),
 * and a column named like an artifact URI must not get someone else's artifact deleted. The
 * validation reports are evidence and never listed.
 */
export function purgeableDigests(batch: Pick<QuarantinedBatch, 'snapshots' | 'report' | 'reportHtml'>): string[] {
  const found = new Set<string>();
  for (const snapshot of [batch.snapshots.train, batch.snapshots.holdout]) {
    found.add(snapshot.sha256);
    const counts = (snapshot.meta as { labelSource?: { counts?: { sha256?: unknown } } } | undefined)?.labelSource?.counts?.sha256;
    if (typeof counts === 'string') found.add(counts);
  }
  for (const report of [batch.report, batch.reportHtml]) {
    for (const match of report.matchAll(ARTIFACT_URI)) found.delete(match[1]);
  }
  return [...found].filter((d) => DIGEST.test(d));
}

/** Whether `run` is one of the batch's own runs (a run known only by its workflow id matches any run of it). */
export const isOwnRun = (batch: PurgedBatch, run: { workflowId: string; runId?: string }): boolean =>
  batch.runs.some((r) => r.workflowId === run.workflowId && (r.runId === undefined || r.runId === run.runId));

/** How a reason starts when a source could not answer (the digest is kept, and the purge is tried again). */
export const COULD_NOT_CHECK = 'could not check';

/** Whether a kept digest was kept only because some source could not answer, rather than because something holds it. */
export const keptUnchecked = (reasons: readonly string[]): boolean => reasons.some((r) => r.startsWith(`${COULD_NOT_CHECK} `));

/**
 * Asks every source about `digests` and answers, per digest, why it must be kept (empty: nothing
 * else refers to it). A source that fails keeps all of them, with its error as the reason.
 */
export async function referencesOf(digests: readonly string[], batch: PurgedBatch, sources: readonly ReferenceSource[]): Promise<Map<string, string[]>> {
  const reasons = new Map<string, string[]>(digests.map((d) => [d, []]));
  for (const source of sources) {
    let found: Map<string, string[]>;
    try {
      found = await source.holders(digests, batch);
    } catch (err) {
      const why = `${COULD_NOT_CHECK} ${source.name}: ${err instanceof Error ? err.message : String(err)}`;
      for (const d of digests) reasons.get(d)!.push(why);
      continue;
    }
    for (const d of digests) {
      for (const holder of found.get(d) ?? []) reasons.get(d)!.push(`${source.name}: ${holder}`);
    }
  }
  return reasons;
}
