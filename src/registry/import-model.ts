/**
 * Registers an ONNX model trained elsewhere (`slipway models import`, POST /v1/models/:model/import):
 * checks it against its declared contract with onnxruntime, stores it content-addressed, and
 * records a version whose lineage says it was imported, by whom, from what, with which digest.
 * Nothing is stored or registered when the check fails. The version is a candidate like any
 * other: it is not blessed and moves no alias; a pipeline's `import` step evaluates, canaries
 * and promotes it.
 */
import { basename } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { checkModelContract, type ContractFacts, type DeclaredContract } from '../training/model-contract-check';
import type { ModelRegistry, ModelVersion } from './model-registry';

/** What lineage records of an import, under `lineage.imported`. */
export interface ImportRecord {
  /** The principal who imported it (`local:<user>` from a CLI without a token). */
  by: string;
  at: string;
  /** sha256 of the ONNX bytes, as stored. */
  digest: string;
  /** The file's base name as given (the CLI's path, the API upload's `filename`). */
  source: string;
  /** Where the request came from (`cli`, `api <address>`, or `pipeline <workflowId>/<step>`). */
  origin: string;
  task: DeclaredContract['task'];
  /** What the onnxruntime check saw. */
  contract: ContractFacts;
}

export interface ImportModelInput {
  model: string;
  /** Path of the ONNX file (read, checked, then copied into the store). */
  file: string;
  /** Name recorded as the file's source; @default the file's base name */
  sourceName?: string;
  contract: DeclaredContract;
  /** Recorded as the trainer in lineage. @default 'imported' */
  trainer?: string;
  description?: string;
  tags?: Record<string, string>;
  actor: string;
  origin: string;
}

export interface ImportModelDeps {
  registry: ModelRegistry;
  store: ArtifactStore;
  now?: () => Date;
}

/**
 * Re-importing the same bytes into the same model returns the version they were registered as
 * (the idempotency key is the digest), so a retried upload never makes a second version.
 * @throws ModelContractError naming each mismatch; RegistryError for an invalid model name.
 */
export async function importModel(deps: ImportModelDeps, input: ImportModelInput): Promise<{ version: ModelVersion; created: boolean }> {
  const facts = await checkModelContract(input.file, input.contract);
  const { task, features, classes } = input.contract;
  const artifact = await deps.store.put(input.file, {
    name: 'model',
    mediaType: 'application/onnx',
    meta: {
      trainer: input.trainer ?? 'imported',
      features,
      imported: true,
      // Binary models carry no task, like trained ones, so every binary consumer reads them unchanged.
      ...(task !== 'binary' ? { task } : {}),
      ...(classes ? { classes } : {}),
    },
  });
  const idempotencyKey = `import/${artifact.sha256}`;
  const earlier = (await deps.registry.listVersions(input.model)).find((v) => v.idempotencyKey === idempotencyKey);
  if (earlier) return { version: earlier, created: false };
  const imported: ImportRecord = {
    by: input.actor,
    at: (deps.now?.() ?? new Date()).toISOString(),
    digest: artifact.sha256,
    source: input.sourceName ?? basename(input.file),
    origin: input.origin,
    task,
    contract: facts,
  };
  const version = await deps.registry.registerVersion({
    model: input.model,
    idempotencyKey,
    artifact,
    metrics: {},
    params: {},
    lineage: {
      // No Slipway run made it: the required lineage fields say so rather than stay empty.
      dataDigest: 'none (imported)',
      specDigest: 'none (imported)',
      workflowId: 'none (imported)',
      runId: 'none (imported)',
      pipeline: 'import',
      trainer: input.trainer ?? 'imported',
      features,
      task,
      ...(classes ? { classes } : {}),
      blessed: null,
      imported,
    },
    tags: { imported: 'true', ...input.tags },
    description: input.description,
    actor: input.actor,
    origin: input.origin,
  });
  return { version, created: true };
}

/** The import record of a version's lineage, when it was imported. */
export function importRecordOf(lineage: Record<string, unknown>): ImportRecord | undefined {
  const record = lineage.imported;
  return typeof record === 'object' && record !== null && typeof (record as ImportRecord).digest === 'string' ? (record as ImportRecord) : undefined;
}
