/**
 * Where the reference data and the schema in force come from: the model's current champion.
 * Its lineage holds `trainData` (the training snapshot, the reference for drift) and `schema`
 * (the schema it was validated against). A new champion brings its schema into force; a run that
 * is not promoted changes nothing. See ARCHITECTURE.md for why the registry, not a separate store.
 */
import type { ArtifactStore } from '../artifacts/artifact-store';
import { isSlipwayError } from '../errors';
import type { ColumnPin } from '../pipeline/step-params';
import type { ArtifactRef } from '../pipeline/types';
import type { ModelRegistry } from '../registry/model-registry';
import { applyPins, diffSchemas, inferSchema, schemaContent, type DataSchema } from './data-schema';
import type { DatasetProfile } from './profile';
import type { SnapshotMeta } from './snapshot-meta';

export interface Champion {
  version: number;
  /** The schema recorded with the champion, when it has one. */
  schema?: { schema: DataSchema; ref: ArtifactRef };
  /** The champion's training snapshot. */
  trainData?: ArtifactRef;
  /** The champion's holdout snapshot (recorded since tainted-data checks), its baseline for label consistency. */
  holdoutData?: ArtifactRef;
  /** The champion's model artifact (ONNX), which predicts the labels label consistency expects. */
  model?: ArtifactRef;
}

const isRef = (x: unknown): x is ArtifactRef =>
  typeof x === 'object' && x !== null && typeof (x as ArtifactRef).uri === 'string' && typeof (x as ArtifactRef).sha256 === 'string' && typeof (x as ArtifactRef).bytes === 'number';

/** The champion's schema and reference data; what cannot be read is skipped with a note. */
export async function loadChampion(
  store: Pick<ArtifactStore, 'readJson'>,
  registry: Pick<ModelRegistry, 'getAlias'>,
  model: string,
  notes: string[],
): Promise<Champion | undefined> {
  const version = await registry.getAlias(model, 'champion');
  if (!version) return undefined;
  const champion: Champion = { version: version.version };
  const { schema, trainData, holdoutData } = version.lineage;
  if (isRef(version.artifact)) champion.model = version.artifact;
  if (isRef(holdoutData)) champion.holdoutData = holdoutData;
  if (isRef(trainData)) champion.trainData = trainData;
  else notes.push(`champion v${version.version} records no training data (registered before validation kept it); drift and label-rate checks are skipped`);
  if (isRef(schema)) {
    try {
      const json = await store.readJson<DataSchema>(schema);
      if (json?.kind === 'slipway.data-schema') champion.schema = { schema: json, ref: schema };
    } catch (err) {
      if (!isSlipwayError(err)) throw err;
      notes.push(`champion v${version.version}'s schema ${schema.uri} cannot be read (${err.message.split('\n')[0]}); inferring it again`);
    }
  }
  return champion;
}

export interface ResolvedSchema {
  schema: DataSchema;
  /** Set when the schema in force is used unchanged and already stored. */
  ref?: ArtifactRef;
  origin: string;
  changed: boolean;
  changes: string[];
}

export interface ResolveInput {
  model: string;
  createdBy: DataSchema['createdBy'];
  meta: SnapshotMeta;
  current: DatasetProfile;
  reference?: DatasetProfile;
  champion?: Champion;
  pins: Record<string, ColumnPin>;
  update: boolean;
}

/**
 * The schema this run checks against. First run: inferred from this batch. Later runs: the
 * champion's, unchanged unless the spec pins facts or asks for an update, which makes a new
 * version with the reason and the diff.
 */
export function resolveSchema(input: ResolveInput): ResolvedSchema {
  const { model, createdBy, meta, pins, champion } = input;
  const inForce = champion?.schema;
  let origin = inForce ? `champion v${champion!.version}` : '';
  let base: DataSchema | undefined = inForce?.schema;
  if (!base && champion && input.reference) {
    // A champion from before schemas were kept: its training data says what it was trained on.
    base = inferSchema({ model, meta, profile: input.reference, createdBy, reason: `inferred from the training data of champion v${champion.version}` });
    origin = `inferred from champion v${champion.version}'s training data`;
  }
  if (!base) {
    const schema = applyPins(inferSchema({ model, meta, profile: input.current, createdBy, reason: 'inferred from this batch on the first run of the model' }), pins);
    return { schema, origin: 'inferred from this batch (first run)', changed: true, changes: ['first schema of the model'] };
  }
  const candidate = input.update
    ? applyPins(inferSchema({ model, meta, profile: input.current, createdBy, reason: 'update requested in the spec (validate.with.schema.update)' }), pins)
    : applyPins(base, pins);
  if (schemaContent(candidate) === schemaContent(base)) {
    return inForce ? { schema: inForce.schema, ref: inForce.ref, origin, changed: false, changes: [] } : { schema: base, origin, changed: false, changes: [] };
  }
  const schema: DataSchema = {
    ...candidate,
    version: base.version + 1,
    previous: inForce?.ref.sha256 ?? null,
    reason: input.update ? 'update requested in the spec (validate.with.schema.update)' : 'facts pinned in the spec (validate.with.schema.columns)',
    createdBy,
  };
  return { schema, origin, changed: true, changes: diffSchemas(base, schema) };
}
