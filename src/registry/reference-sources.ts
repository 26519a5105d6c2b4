/**
 * The places that may refer to a discarded batch's artifacts (see artifact-references.ts):
 * the registry database (other batches, model versions' artifact and lineage), the step records
 * of runs (src/step-records) and the step cache (src/cache). Records and cache entries are JSON
 * files sharded by digest; they are read as text and parsed only when they mention a digest.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BatchQuarantine } from './quarantine';
import { isOwnRun, type PurgedBatch, type ReferenceSource } from './artifact-references';

/** Other quarantined or released batches, and model versions (their artifact, lineage, metrics...). */
export function registryReferences(quarantine: BatchQuarantine): ReferenceSource {
  return {
    name: 'registry',
    async holders(digests, batch) {
      const found = new Map<string, string[]>();
      for (const d of digests) found.set(d, await quarantine.holdersOf(d, batch));
      return found;
    },
  };
}

/**
 * Step records (`$SLIPWAY_DATA_DIR/step-records`): a record of another run that mentions the digest
 * keeps it, since that run may still be going and read it. Its key is `<workflowId>/<runId>/<stepId>`.
 */
export function stepRecordReferences(root: string): ReferenceSource {
  return jsonFolderReferences('step records', root, { requiredForRuns: true }, (json) => {
    const key = (json as { key?: unknown }).key;
    if (typeof key !== 'string') return undefined;
    const parts = key.split('/');
    if (parts.length < 3) return undefined;
    return { run: { workflowId: parts.slice(0, -2).join('/'), runId: parts[parts.length - 2] }, label: `record ${key}` };
  });
}

/**
 * The step cache (`$SLIPWAY_DATA_DIR/step-cache`): an entry produced by another run that mentions the
 * digest keeps it (another pipeline may reuse that output). The batch's own entries do not: a cache
 * hit whose artifact is gone is a miss, and the re-run it causes is refused at validation anyway.
 */
export function stepCacheReferences(root: string): ReferenceSource {
  return jsonFolderReferences('step cache', root, { requiredForRuns: false }, (json) => {
    const entry = json as { key?: unknown; kind?: unknown; producedBy?: { workflowId?: unknown; runId?: unknown; stepId?: unknown } };
    const by = entry.producedBy;
    if (typeof by?.workflowId !== 'string' || typeof by.runId !== 'string') return undefined;
    return { run: { workflowId: by.workflowId, runId: by.runId }, label: `${String(entry.kind)} entry ${String(entry.key)} of run ${by.workflowId}/${by.runId}` };
  });
}

type Owner = { run: { workflowId: string; runId: string }; label: string };

/**
 * Scans `<root>/<shard>/*.json`. A file that mentions a digest is a holder unless its owner is one
 * of the batch's runs; a file whose owner cannot be read (damaged, another format) is a holder too.
 * `requiredForRuns`: a batch stopped by a run has that run's records under the workers' data
 * folder, so a missing folder means this process does not see that folder (an API or CLI with
 * another SLIPWAY_DATA_DIR) and cannot answer: every digest is kept. A missing cache folder only
 * means nothing was cached.
 */
function jsonFolderReferences(name: string, root: string, options: { requiredForRuns: boolean }, ownerOf: (json: unknown) => Owner | undefined): ReferenceSource {
  return {
    name,
    async holders(digests: readonly string[], batch: PurgedBatch) {
      const found = new Map<string, string[]>();
      if (options.requiredForRuns && batch.runs.length > 0 && !existsSync(root)) {
        throw new Error(`no ${name} at ${root}, where the runs that stopped this batch wrote theirs: this process does not see the workers' SLIPWAY_DATA_DIR`);
      }
      for (const file of await jsonFiles(root)) {
        const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return ''; // replaced or removed since the listing
          throw err;
        });
        const mentioned = digests.filter((d) => text.includes(d));
        if (mentioned.length === 0) continue;
        let owner: Owner | undefined;
        try {
          owner = ownerOf(JSON.parse(text));
        } catch {
          owner = undefined;
        }
        if (owner && isOwnRun(batch, owner.run)) continue;
        const label = owner?.label ?? `unreadable ${path.relative(root, file)}`;
        for (const d of mentioned) found.set(d, [...(found.get(d) ?? []), label]);
      }
      return found;
    },
  };
}

async function jsonFiles(root: string): Promise<string[]> {
  const shards = await readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const files: string[] = [];
  for (const shard of shards) {
    if (!shard.isDirectory()) continue;
    const names = await readdir(path.join(root, shard.name));
    // In-flight writes (`*.tmp`) become a `.json` by rename; the next sweep sees them.
    for (const n of names) if (n.endsWith('.json')) files.push(path.join(root, shard.name, n));
  }
  return files;
}

/** The reference sources of a deployment: the registry database and the step records and cache under `dataDir`. */
export function defaultReferenceSources(quarantine: BatchQuarantine, dataDir: string): ReferenceSource[] {
  return [registryReferences(quarantine), stepRecordReferences(path.join(dataDir, 'step-records')), stepCacheReferences(path.join(dataDir, 'step-cache'))];
}
