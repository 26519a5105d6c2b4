/**
 * Model version URIs, spelled as MLflow spells them: `models:/<name>/<version>` names one
 * version, `models:/<name>@<alias>` whatever version the alias points to when it is resolved.
 * The CLI and the API accept them wherever a model version is named; this is the one grammar,
 * and {@link resolveModelRef} the one resolution, so both answer alike.
 *
 * Pure apart from `resolveModelRef`, which reads the registry.
 */
import type { ModelRegistry, ModelVersion } from './model-registry';
import { registryError } from './registry-error';

/** A model version named by number or by alias. */
export type ModelRef = { model: string; version: number } | { model: string; alias: string };

export const MODEL_URI_SCHEME = 'models:/';
/** Model names as the registry takes them, minus the URI's separators and whitespace. */
const MODEL_NAME = /^[^\s/@]{1,200}$/;
/** As in pipeline specs (`promote.alias`) and the console's alias form. */
export const ALIAS_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const VERSION = /^[1-9][0-9]{0,14}$/;
const FORMS = 'models:/<name>/<version> (e.g. models:/churn/3) or models:/<name>@<alias> (e.g. models:/churn@champion)';

export const isModelUri = (text: string): boolean => text.startsWith(MODEL_URI_SCHEME);

/**
 * Parses `models:/<name>/<version>` or `models:/<name>@<alias>`.
 * @throws RegistryError `invalid-input` naming the part that is wrong and the two accepted forms.
 */
export function parseModelUri(uri: string, field = 'uri'): ModelRef {
  if (typeof uri !== 'string' || !isModelUri(uri)) bad(field, uri, `it must start with ${MODEL_URI_SCHEME}`);
  const rest = uri.slice(MODEL_URI_SCHEME.length);
  const at = rest.indexOf('@');
  const slash = rest.indexOf('/');
  if (at < 0 && slash < 0) bad(field, uri, 'it names a model but no version or alias');
  // Whichever separator comes first splits the name from the rest; the rest is checked on its own.
  const cut = at >= 0 && (slash < 0 || at < slash) ? at : slash;
  const model = rest.slice(0, cut);
  const tail = rest.slice(cut + 1);
  if (!MODEL_NAME.test(model)) bad(field, uri, `the model name ${JSON.stringify(model)} must be 1 to 200 characters without "/", "@" or spaces`);
  if (cut === at) {
    if (!ALIAS_NAME.test(tail)) bad(field, uri, `the alias ${JSON.stringify(tail)} must be lowercase letters, digits and dashes, starting with a letter`);
    return { model, alias: tail };
  }
  if (!VERSION.test(tail)) bad(field, uri, `the version ${JSON.stringify(tail)} must be a whole number from 1`);
  return { model, version: Number(tail) };
}

/**
 * A version named on its own or with its model given elsewhere (a CLI argument, a URL path):
 * `3`, `v3`, `@champion`, or a full URI, which must then name `model`.
 * @throws RegistryError `invalid-input`.
 */
export function parseVersionRef(model: string, label: string, field = 'version'): ModelRef {
  const text = String(label).trim();
  if (isModelUri(text)) {
    const ref = parseModelUri(text, field);
    if (ref.model !== model) bad(field, text, `it names model ${JSON.stringify(ref.model)}, but the request is about ${JSON.stringify(model)}`);
    return ref;
  }
  if (text.startsWith('@')) {
    if (!ALIAS_NAME.test(text.slice(1))) bad(field, text, 'an alias is lowercase letters, digits and dashes after "@", e.g. @champion');
    return { model, alias: text.slice(1) };
  }
  const digits = text.replace(/^v/, '');
  if (!VERSION.test(digits)) bad(field, text, `give a version number (3 or v3), an alias (@champion) or ${FORMS}`);
  return { model, version: Number(digits) };
}

/** The canonical URI of a reference. */
export const formatModelUri = (ref: ModelRef): string => ('alias' in ref ? `${MODEL_URI_SCHEME}${ref.model}@${ref.alias}` : `${MODEL_URI_SCHEME}${ref.model}/${ref.version}`);

/**
 * The version a reference names, read now (an alias may move afterwards).
 * @throws RegistryError `unknown-model` / `unknown-version` / `unknown-alias`, each naming what exists instead.
 */
export async function resolveModelRef(registry: ModelRegistry, ref: ModelRef): Promise<ModelVersion> {
  const found = 'alias' in ref ? await registry.getAlias(ref.model, ref.alias) : await registry.getVersion(ref.model, ref.version);
  if (found) return found;
  const summary = (await registry.listModels()).find((m) => m.model === ref.model);
  if (!summary || summary.latestVersion === 0) {
    throw registryError('unknown-model', `${formatModelUri(ref)}: there is no model ${JSON.stringify(ref.model)}`, { model: ref.model });
  }
  if ('alias' in ref) {
    const aliases = Object.keys(summary.aliases);
    throw registryError('unknown-alias', `${formatModelUri(ref)}: model ${ref.model} has no alias ${JSON.stringify(ref.alias)} (its aliases: ${aliases.join(', ') || 'none'})`, {
      model: ref.model,
      alias: ref.alias,
    });
  }
  throw registryError('unknown-version', `${formatModelUri(ref)}: model ${ref.model} has no version ${ref.version}; its versions are 1 to ${summary.latestVersion}`, {
    model: ref.model,
    version: ref.version,
    latestVersion: summary.latestVersion,
  });
}

function bad(field: string, value: unknown, why: string): never {
  throw registryError('invalid-input', `${field}: ${JSON.stringify(value)} is not a model version: ${why}. Accepted: ${FORMS}`, { field });
}
