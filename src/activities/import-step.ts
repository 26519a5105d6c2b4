/**
 * import: a model trained elsewhere as this run's candidate, in place of a train step. From a
 * registered version (`models:/<name>/<version>`, e.g. one `slipway models import` registered) or
 * from an ONNX file under the data roots; either way checked with onnxruntime against its
 * contract and against the snapshot it will be evaluated on, so a mismatch fails here, named,
 * rather than as a scoring error in evaluate. Evaluate, register, canary and promote then treat
 * its `model` like any trained candidate; register records who imported it and its digest.
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { confineSource, type DataRoots } from '../data/data-roots';
import { ModelContractError } from '../errors';
import type { ImportContract, ImportParams } from '../pipeline/import-params';
import type { Task } from '../pipeline/label-spec';
import type { ArtifactRef, StepOutputBody, StepRequest } from '../pipeline/types';
import { importRecordOf } from '../registry/import-model';
import type { ModelRegistry } from '../registry/model-registry';
import { parseModelUri, resolveModelRef } from '../registry/model-uri';
import { checkModelContract } from '../training/model-contract-check';
import { snapshotMeta } from '../validation/snapshot-meta';

export interface ImportStepDeps {
  store: ArtifactStore;
  registry: ModelRegistry;
  dataRoots: DataRoots;
}

export async function importCandidate(deps: ImportStepDeps, req: StepRequest, params: ImportParams, log: Logger): Promise<StepOutputBody<'import'>> {
  const found = params.model ? await fromRegistry(deps, params.model) : await fromFile(deps, params, req);
  requireSnapshotFits(req, found.contract);
  const model: ArtifactRef = {
    ...found.ref,
    meta: {
      ...found.ref.meta,
      trainer: found.trainer,
      step: req.ctx.stepId,
      features: found.contract.features,
      imported: { by: found.by, digest: found.ref.sha256, source: found.source },
    },
  };
  log.info({ source: found.source, sha256: model.sha256, by: found.by }, 'imported candidate');
  return {
    artifacts: { model },
    summary: {
      source: found.source,
      trainer: found.trainer,
      digest: model.sha256,
      importedBy: found.by,
      task: found.contract.task,
      features: found.contract.features,
      modelBytes: model.bytes,
    },
  };
}

interface Found {
  ref: ArtifactRef;
  contract: ImportContract;
  source: string;
  trainer: string;
  /** Who brought the model in: the importer of a registered version, or the run's principal for a file. */
  by: string;
}

async function fromRegistry(deps: ImportStepDeps, uri: string): Promise<Found> {
  const version = await resolveModelRef(deps.registry, parseModelUri(uri, 'with.model'));
  const meta = version.artifact.meta ?? {};
  const features = (meta.features ?? version.lineage.features) as ImportContract['features'] | undefined;
  if (!features?.numeric || !features.categorical) {
    throw new ModelContractError([`with.model: ${uri} records no feature contract (numeric and categorical columns); import it again with --features`]);
  }
  const task = ((meta.task ?? version.lineage.task) as Task | undefined) ?? 'binary';
  const classes = (meta.classes ?? version.lineage.classes) as string[] | undefined;
  const contract: ImportContract = { task, features: { numeric: features.numeric, categorical: features.categorical }, ...(classes ? { classes } : {}) };
  // The registry's bytes are verified on the way out; the contract is re-checked, as the version may predate the check.
  await checkModelContract(await deps.store.localPath(version.artifact), contract);
  const record = importRecordOf(version.lineage);
  return { ref: version.artifact, contract, source: uri, trainer: version.lineage.trainer, by: record?.by ?? `run ${version.lineage.workflowId}` };
}

async function fromFile(deps: ImportStepDeps, params: ImportParams, req: StepRequest): Promise<Found> {
  const { files } = await confineSource(params.file!, deps.dataRoots);
  if (files.length !== 1) throw new ModelContractError([`with.file: "${params.file}" matches ${files.length} files; name one .onnx file`]);
  const contract: ImportContract = { task: params.task ?? 'binary', features: params.features!, ...(params.classes ? { classes: params.classes } : {}) };
  await checkModelContract(files[0], contract);
  const ref = await deps.store.put(files[0], {
    name: 'model',
    mediaType: 'application/onnx',
    meta: { ...(contract.task !== 'binary' ? { task: contract.task } : {}), ...(contract.classes ? { classes: contract.classes } : {}) },
  });
  return { ref, contract, source: `file:${params.file}`, trainer: 'imported', by: req.authority?.principal ?? 'unverified' };
}

/** The snapshot evaluate will score on must have the model's inputs and its task. */
function requireSnapshotFits(req: StepRequest, contract: ImportContract): void {
  const holdout = Object.values(req.inputs).find((o) => o?.artifacts.holdout)?.artifacts.holdout;
  if (!holdout) return;
  const meta = snapshotMeta(holdout);
  const problems: string[] = [];
  const available = meta.features ?? [];
  const missing = [...contract.features.numeric, ...contract.features.categorical].filter((f) => !available.includes(f));
  if (missing.length > 0) problems.push(`inputs: the model reads ${missing.join(', ')}, which the ingested snapshot does not have (its features: ${available.join(', ')})`);
  const snapshotTask = meta.task ?? 'binary';
  if (snapshotTask !== contract.task) problems.push(`task: the model is ${contract.task}, the pipeline's label is ${snapshotTask}`);
  if (problems.length > 0) throw new ModelContractError(problems);
}
