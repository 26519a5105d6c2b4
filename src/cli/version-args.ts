/**
 * How commands name a model version: `<model> <version>` (3, v3, @alias) or one `models:/` URI
 * (`models:/churn/3`, `models:/churn@champion`); the grammar is src/registry/model-uri.ts.
 */
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import { isModelUri, parseModelUri, parseVersionRef, resolveModelRef, type ModelRef } from '../registry/model-uri';
import { CliError } from './context';

/** The version `<model> <version>` or `<models:/ URI>` names; `version` is required unless `model` is a URI. */
export function versionRef(model: string, version: string | undefined): ModelRef {
  if (isModelUri(model)) {
    if (version !== undefined) throw new CliError(`give either a models:/ URI or a model and a version, not both (${model} ${version})`);
    return parseModelUri(model, 'model');
  }
  if (version === undefined) throw new CliError(`name a version of ${model}: e.g. \`${model} v3\`, \`${model} @champion\` or models:/${model}/3`);
  return parseVersionRef(model, version);
}

/** The model a `<model>` argument names, whether a plain name or a models:/ URI. */
export const modelOf = (arg: string): string => (isModelUri(arg) ? parseModelUri(arg, 'model').model : arg);

export const resolveArgs = (registry: ModelRegistry, model: string, version: string | undefined): Promise<ModelVersion> =>
  resolveModelRef(registry, versionRef(model, version));
