import { describe, expect, it } from 'vitest';
import { RegistryError } from '../errors';
import { SqlModelRegistry } from './sql-model-registry';
import { formatModelUri, parseModelUri, parseVersionRef, resolveModelRef } from './model-uri';
import { move, registerVersions } from '../../test/support/registry-test-fixtures';
import { describeEachBackend, useTestStore } from '../../test/support/test-backends';

const failure = (fn: () => unknown): RegistryError => {
  try {
    fn();
  } catch (err) {
    return err as RegistryError;
  }
  throw new Error('expected a failure');
};

describe('models:/ URIs', () => {
  it.each([
    ['models:/churn/3', { model: 'churn', version: 3 }],
    ['models:/churn@champion', { model: 'churn', alias: 'champion' }],
    ['models:/flight-delay@shadow-2', { model: 'flight-delay', alias: 'shadow-2' }],
    ['models:/Fraud_v2.x/12', { model: 'Fraud_v2.x', version: 12 }],
  ])('parses %s', (uri, ref) => {
    expect(parseModelUri(uri)).toEqual(ref);
    expect(formatModelUri(ref)).toBe(uri);
  });

  it.each([
    ['churn/3', 'must start with models:/'],
    ['models://churn/3', 'the model name "" must be'],
    ['models:/churn', 'names a model but no version or alias'],
    ['models:/churn/', 'the version "" must be a whole number'],
    ['models:/churn/0', 'the version "0" must be a whole number'],
    ['models:/churn/v3', 'the version "v3" must be a whole number'],
    ['models:/churn/3/4', 'the version "3/4" must be a whole number'],
    ['models:/churn/1.5', 'the version "1.5"'],
    ['models:/churn@', 'the alias "" must be lowercase'],
    ['models:/churn@Champion', 'the alias "Champion" must be lowercase'],
    ['models:/churn@champ/3', 'the alias "champ/3"'],
    ['models:/my model/3', 'the model name "my model"'],
    ['models:/@champion', 'the model name ""'],
  ])('refuses %s, saying what is wrong and what is accepted', (uri, why) => {
    const err = failure(() => parseModelUri(uri));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.details).toMatchObject({ kind: 'invalid-input', field: 'uri' });
    expect(err.message).toContain(why);
    expect(err.message).toContain('Accepted: models:/<name>/<version> (e.g. models:/churn/3) or models:/<name>@<alias>');
  });

  it.each([
    ['3', { model: 'churn', version: 3 }],
    ['v3', { model: 'churn', version: 3 }],
    [' 7 ', { model: 'churn', version: 7 }],
    ['@staging', { model: 'churn', alias: 'staging' }],
    ['models:/churn/4', { model: 'churn', version: 4 }],
    ['models:/churn@champion', { model: 'churn', alias: 'champion' }],
  ])('reads the version label %s of a model given elsewhere', (label, ref) => {
    expect(parseVersionRef('churn', label)).toEqual(ref);
  });

  it.each([
    ['models:/fraud/4', 'it names model "fraud", but the request is about "churn"'],
    ['@', 'an alias is lowercase letters'],
    ['three', 'give a version number (3 or v3), an alias (@champion)'],
    ['-1', 'give a version number'],
    ['', 'give a version number'],
  ])('refuses the version label %j', (label, why) => {
    const err = failure(() => parseVersionRef('churn', label, 'versions[1]'));
    expect(err.details).toMatchObject({ kind: 'invalid-input', field: 'versions[1]' });
    expect(err.message).toContain(why);
  });
});

describeEachBackend('resolving models:/ URIs', (backend) => {
  const store = useTestStore(backend);

  it('resolves numbers and aliases to the version they name now, and says what exists when they name nothing', async () => {
    const registry = new SqlModelRegistry(await store().open());
    await registerVersions(registry, 3);
    await registry.setAlias(move({ version: 2 }));
    expect((await resolveModelRef(registry, parseModelUri('models:/churn/3'))).version).toBe(3);
    expect((await resolveModelRef(registry, parseModelUri('models:/churn@champion'))).version).toBe(2);
    await registry.setAlias(move({ version: 3, expectedVersion: 2 }));
    expect((await resolveModelRef(registry, parseModelUri('models:/churn@champion'))).version).toBe(3);

    const refused = async (uri: string) => resolveModelRef(registry, parseModelUri(uri)).then(() => undefined, (e: RegistryError) => [e.details.kind, e.message]);
    expect(await refused('models:/churn/9')).toEqual(['unknown-version', 'models:/churn/9: model churn has no version 9; its versions are 1 to 3']);
    expect(await refused('models:/churn@staging')).toEqual(['unknown-alias', 'models:/churn@staging: model churn has no alias "staging" (its aliases: champion)']);
    expect(await refused('models:/ghost@champion')).toEqual(['unknown-model', 'models:/ghost@champion: there is no model "ghost"']);
    await registry.close();
  });
});
