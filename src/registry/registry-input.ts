/**
 * Checks registry inputs before any backend touches storage. Inputs arrive as JSON from
 * activities and the API, so TypeScript types alone do not guarantee their shape.
 */
import type { AnnotateVersionInput, RegisterVersionInput, SetAliasInput } from './model-registry';
import { registryError } from './registry-error';

const MAX_NAME_LENGTH = 200;
const MAX_DESCRIPTION_LENGTH = 10_000;
const ALIAS_AUDIT_ACTIONS: readonly string[] = ['alias.move', 'model.promote', 'model.rollback'];
/** Tag keys (MLflow's habit, minus spaces): a letter or digit, then letters, digits, `_ . - / :`. */
export const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9_.\-/:]{0,127}$/;
export const MAX_TAG_VALUE = 5000;
/** Control characters other than tab would hide text in tables and logs. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const REQUIRED_LINEAGE = ['dataDigest', 'specDigest', 'workflowId', 'runId', 'pipeline', 'trainer'] as const;

export function assertRegisterVersionInput(input: RegisterVersionInput): void {
  assertName('model', input.model);
  assertText('idempotencyKey', input.idempotencyKey);
  if (!isRecord(input.artifact)) invalid('artifact', input.artifact, 'an ArtifactRef');
  assertText('artifact.uri', input.artifact.uri);
  assertText('artifact.sha256', input.artifact.sha256);
  if (!isRecord(input.metrics)) invalid('metrics', input.metrics, 'an object of numbers');
  for (const [name, value] of Object.entries(input.metrics)) {
    // JSON has no NaN or Infinity; storing one would silently turn it into null.
    if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`metrics.${name}`, value, 'a finite number');
  }
  if (!isRecord(input.params)) invalid('params', input.params, 'an object');
  if (!isRecord(input.lineage)) invalid('lineage', input.lineage, 'an object');
  for (const field of REQUIRED_LINEAGE) assertText(`lineage.${field}`, input.lineage[field]);
  if (input.tags !== undefined) {
    if (!isRecord(input.tags)) invalid('tags', input.tags, 'an object of strings');
    for (const [name, value] of Object.entries(input.tags)) {
      if (typeof value !== 'string') invalid(`tags.${name}`, value, 'a string');
    }
  }
  if (input.description !== undefined && typeof input.description !== 'string') {
    invalid('description', input.description, 'a string');
  }
  if (input.actor !== undefined) assertText('actor', input.actor);
  if (input.origin !== undefined) assertText('origin', input.origin);
}

export function assertSetAliasInput(input: SetAliasInput): void {
  assertName('model', input.model);
  assertName('alias', input.alias);
  assertVersion('version', input.version);
  if (input.expectedVersion !== null && !(Number.isSafeInteger(input.expectedVersion) && input.expectedVersion >= 1)) {
    invalid('expectedVersion', input.expectedVersion, 'an integer >= 1, or null if the alias should be unset');
  }
  assertText('actor', input.actor);
  assertText('reason', input.reason);
  if (input.idempotencyKey !== undefined) assertText('idempotencyKey', input.idempotencyKey);
  if (input.evidence !== undefined && !isRecord(input.evidence)) invalid('evidence', input.evidence, 'an object');
  if (input.origin !== undefined) assertText('origin', input.origin);
  if (input.auditAction !== undefined && !ALIAS_AUDIT_ACTIONS.includes(input.auditAction)) {
    invalid('auditAction', input.auditAction, `one of ${ALIAS_AUDIT_ACTIONS.join(', ')}`);
  }
}

export function assertAnnotateVersionInput(input: AnnotateVersionInput): void {
  assertName('model', input.model);
  assertVersion('version', input.version);
  if (input.setTags !== undefined) {
    if (!isRecord(input.setTags)) invalid('setTags', input.setTags, 'an object of strings');
    for (const [name, value] of Object.entries(input.setTags)) {
      assertTagKey('setTags key', name);
      if (typeof value !== 'string') invalid(`setTags.${name}`, value, 'a string');
      if (value.length > MAX_TAG_VALUE) invalid(`setTags.${name}`, value, `at most ${MAX_TAG_VALUE} characters`);
      if (CONTROL.test(value)) invalid(`setTags.${name}`, value, 'text without control characters (tabs allowed)');
    }
  }
  if (input.removeTags !== undefined) {
    if (!Array.isArray(input.removeTags)) invalid('removeTags', input.removeTags, 'an array of tag names');
    input.removeTags.forEach((name, i) => assertTagKey(`removeTags[${i}]`, name));
  }
  if (input.description !== undefined && input.description !== null) {
    if (typeof input.description !== 'string') invalid('description', input.description, 'a string or null');
    if (input.description.length > MAX_DESCRIPTION_LENGTH) {
      invalid('description', input.description, `at most ${MAX_DESCRIPTION_LENGTH} characters`);
    }
  }
  assertText('actor', input.actor);
  if (input.reason !== undefined && typeof input.reason !== 'string') invalid('reason', input.reason, 'a string');
  if (input.origin !== undefined) assertText('origin', input.origin);
}

export function assertVersion(field: string, value: unknown): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) invalid(field, value, 'an integer >= 1');
}

/** @throws RegistryError `invalid-input` unless `value` is a tag key (see {@link TAG_KEY}). */
export function assertTagKey(field: string, value: unknown): void {
  if (typeof value !== 'string' || !TAG_KEY.test(value)) {
    invalid(field, value, 'a tag key: 1 to 128 letters, digits or _ . - / :, starting with a letter or digit');
  }
}

function assertName(field: string, value: unknown): void {
  assertText(field, value);
  if ((value as string).length > MAX_NAME_LENGTH) invalid(field, value, `at most ${MAX_NAME_LENGTH} characters`);
}

function assertText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') invalid(field, value, 'a non-empty string');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, value: unknown, expected: string): never {
  throw registryError('invalid-input', `Invalid registry input: ${field} must be ${expected}, got ${show(value)}`, {
    field,
  });
}

function show(value: unknown): string {
  // String() keeps NaN and Infinity readable, which JSON.stringify would turn into null.
  if (typeof value === 'number' || value === undefined) return String(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 80)}...` : json;
}
