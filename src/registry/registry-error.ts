/**
 * Builds and recognises `RegistryError`s by kind. The kind lives in `details.kind`, which
 * travels with the failure through Temporal, so a workflow can tell a lost compare-and-set
 * race from a reference to a version that does not exist.
 */
import { RegistryError } from '../errors';
import type { RegistryErrorKind } from './model-registry';

export function registryError(
  kind: RegistryErrorKind,
  message: string,
  details: Record<string, unknown> = {},
): RegistryError {
  return new RegistryError(message, { details: { kind, ...details } });
}

/** True when `err` is a RegistryError of the given kind. */
export function isRegistryError(err: unknown, kind?: RegistryErrorKind): err is RegistryError {
  return err instanceof RegistryError && (kind === undefined || err.details.kind === kind);
}
