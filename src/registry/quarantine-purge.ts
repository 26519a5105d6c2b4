/**
 * Discard means the tainted bytes go. `purgeBatch` deletes a discarded batch's snapshots (and the
 * files derived from them) from the artifact store unless something else still refers to them;
 * `sweepQuarantine` discards batches left undecided beyond the retention and purges every
 * discarded batch whose purge is not audited yet. See src/validation/ARCHITECTURE.md, "Quarantine".
 *
 * Crash safety comes from the order: the row says `discarded` (committed with its audit entry)
 * before any byte is deleted, and the `data.purge` audit entry is written only after the last
 * delete. A purge interrupted in between is found again by the next sweep (`unpurged`), which
 * deletes what is left and reports what was already gone.
 */
import type { ArtifactStore } from '../artifacts/artifact-store';
import { keptUnchecked, purgeableDigests, referencesOf, type ReferenceSource } from './artifact-references';
import type { BatchQuarantine, PurgeRecord, QuarantinedBatch } from './quarantine';
import { isRegistryError, registryError } from './registry-error';

export interface PurgeDeps {
  quarantine: BatchQuarantine;
  store: ArtifactStore;
  /** Where references may live; see reference-sources.ts. */
  sources: readonly ReferenceSource[];
}

/** The automated actor of sweeps and retention discards in the audit log. */
export const SWEEP_ACTOR = 'system:quarantine-sweep';

/**
 * Deletes the unreferenced bytes of a discarded batch and audits it (`data.purge`).
 * Answers what was deleted, already gone and kept; `audited` is false when another purge of the
 * same batch was audited first (the deletes are harmless twice).
 * @throws RegistryError `invalid-input` when the batch is not discarded: nothing is deleted.
 */
export async function purgeBatch(
  deps: PurgeDeps,
  batch: QuarantinedBatch,
  by: { actor: string; origin: string },
  options: { again?: boolean } = {},
): Promise<PurgeRecord & { audited: boolean }> {
  // Re-read: the caller's copy may be stale, and bytes go only once the database says discarded.
  const current = await deps.quarantine.get(batch.model, batch.dataDigest);
  if (current?.state !== 'discarded') {
    throw registryError('invalid-input', `batch ${batch.dataDigest} of model "${batch.model}" is ${current?.state ?? 'unknown'}, not discarded: its bytes are kept`, { field: 'state' });
  }
  const runs = await deps.quarantine.runsOf(current.model, current.dataDigest);
  const digests = purgeableDigests(current);
  const reasons = await referencesOf(digests, { model: current.model, dataDigest: current.dataDigest, runs }, deps.sources);
  const record: PurgeRecord = { model: current.model, dataDigest: current.dataDigest, actor: by.actor, origin: by.origin, deleted: [], gone: [], kept: [], ...(options.again ? { again: true } : {}) };
  for (const sha256 of digests) {
    const why = reasons.get(sha256) ?? [];
    if (why.length > 0) {
      record.kept.push({ sha256, reasons: why });
      continue;
    }
    const bytes = await deps.store.delete(sha256);
    if (bytes === undefined) record.gone.push(sha256);
    else record.deleted.push({ sha256, bytes });
  }
  // A repeat purge that deleted nothing (the bytes are back but referenced) changed nothing to audit.
  // Nor does one that could not check a source (it kept everything): left unaudited, the batch stays
  // unpurged and a worker's sweep, which sees the step records, finishes it.
  const unchecked = record.kept.some((k) => keptUnchecked(k.reasons));
  const audited = unchecked || (options.again && record.deleted.length === 0) ? false : await deps.quarantine.recordPurge(record);
  return { ...record, audited };
}

export interface SweepOptions {
  /** How long a batch may stay undecided. */
  retentionMs: number;
  /** The retention as configured, for the audit reason (e.g. `30d`). */
  retentionText: string;
  /** What happens to a batch undecided beyond the retention: `discard` it (audited, then purged) or only `report` it. */
  expiry: 'discard' | 'report';
  /** @default () => new Date() */
  now?: () => Date;
}

type BatchId = { model: string; dataDigest: string; quarantinedAt: string };

export interface SweepResult {
  /** Batches discarded now because their retention expired. */
  expired: BatchId[];
  /** Batches undecided beyond the retention and left alone (`expiry: 'report'`). */
  overdue: BatchId[];
  purged: (PurgeRecord & { audited: boolean })[];
  /** Purges that failed (the store or database unreachable); the next sweep tries again. */
  failed: { model: string; dataDigest: string; error: string }[];
}

/** One pass: retention expiry, then every unaudited purge. Safe to run concurrently and repeatedly. */
export async function sweepQuarantine(deps: PurgeDeps, options: SweepOptions): Promise<SweepResult> {
  const cutoff = (options.now ?? (() => new Date()))().getTime() - options.retentionMs;
  const result: SweepResult = { expired: [], overdue: [], purged: [], failed: [] };
  for (const batch of await deps.quarantine.list({ state: 'quarantined' })) {
    if (Date.parse(batch.quarantinedAt) > cutoff) continue;
    const id = { model: batch.model, dataDigest: batch.dataDigest, quarantinedAt: batch.quarantinedAt };
    if (options.expiry === 'report') {
      result.overdue.push(id);
      continue;
    }
    try {
      await deps.quarantine.decide({
        model: batch.model,
        dataDigest: batch.dataDigest,
        decision: 'discard',
        actor: SWEEP_ACTOR,
        reason: `retention expired: undecided for more than ${options.retentionText} (quarantined at ${batch.quarantinedAt})`,
        origin: SWEEP_ACTOR,
      });
      result.expired.push(id);
    } catch (err) {
      // Someone decided it meanwhile: their decision stands.
      if (!isRegistryError(err, 'batch-decided')) throw err;
    }
  }
  const purge = async (batch: QuarantinedBatch, again: boolean) => {
    try {
      result.purged.push(await purgeBatch(deps, batch, { actor: SWEEP_ACTOR, origin: SWEEP_ACTOR }, { again }));
    } catch (err) {
      result.failed.push({ model: batch.model, dataDigest: batch.dataDigest, error: err instanceof Error ? err.message : String(err) });
    }
  };
  const unpurged = await deps.quarantine.unpurged();
  for (const batch of unpurged) await purge(batch, false);
  // A re-run of a discarded window re-ingests the same bytes (its cache hit is a miss once they are
  // gone) before validation refuses it: bytes a purge deleted that are stored again go again.
  const fresh = new Set(unpurged.map((b) => `${b.model}\n${b.dataDigest}`));
  for (const batch of await deps.quarantine.list({ state: 'discarded' })) {
    if (fresh.has(`${batch.model}\n${batch.dataDigest}`)) continue;
    const purged = await deps.quarantine.purgedDigests(batch.model, batch.dataDigest);
    const back = await Promise.all(purged.map(async (d) => (await deps.store.sizeOf(d)) !== undefined));
    if (back.some(Boolean)) await purge(batch, true);
  }
  return result;
}

/**
 * `quarantine` whose discards purge at once: after `decide` commits a discard, the batch's
 * unreferenced bytes are deleted and the purge audited. A purge that fails is reported to
 * `onPurgeError` and left to the next sweep; the discard itself stands.
 */
export function purgingOnDiscard(deps: PurgeDeps, onPurgeError: (err: unknown, batch: QuarantinedBatch) => void): BatchQuarantine {
  const { quarantine } = deps;
  return {
    quarantine: (input) => quarantine.quarantine(input),
    get: (model, dataDigest) => quarantine.get(model, dataDigest),
    list: (filter) => quarantine.list(filter),
    refused: (run) => quarantine.refused(run),
    unpurged: () => quarantine.unpurged(),
    runsOf: (model, dataDigest) => quarantine.runsOf(model, dataDigest),
    holdersOf: (sha256, except) => quarantine.holdersOf(sha256, except),
    purgedDigests: (model, dataDigest) => quarantine.purgedDigests(model, dataDigest),
    recordPurge: (record) => quarantine.recordPurge(record),
    async decide(input) {
      const batch = await quarantine.decide(input);
      if (batch.state === 'discarded') {
        await purgeBatch(deps, batch, { actor: input.actor, origin: input.origin ?? 'unspecified' }).catch((err: unknown) => onPurgeError(err, batch));
      }
      return batch;
    },
  };
}
