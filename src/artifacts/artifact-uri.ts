/**
 * The one URI shape the artifact store accepts: `artifact://sha256/<64 lowercase hex>`.
 *
 * Parsing is a whitelist rather than path sanitising: a URI that does not match exactly
 * (`..`, absolute paths, other schemes, upper-case hex) never reaches the filesystem.
 */
import { ArtifactIntegrityError } from '../errors';

const URI_PATTERN = /^artifact:\/\/sha256\/([0-9a-f]{64})$/;
const HEX_PATTERN = /^[0-9a-f]{64}$/;

export const isSha256Hex = (value: unknown): value is string =>
  typeof value === 'string' && HEX_PATTERN.test(value);

export function artifactUri(sha256: string): string {
  if (!isSha256Hex(sha256)) throw new TypeError(`not a lowercase hex sha256: ${JSON.stringify(sha256)}`);
  return `artifact://sha256/${sha256}`;
}

/** Returns the digest named by `uri`, or throws ArtifactIntegrityError if the URI is not one of ours. */
export function parseArtifactUri(uri: string): string {
  const match = typeof uri === 'string' ? URI_PATTERN.exec(uri) : null;
  if (!match) {
    throw new ArtifactIntegrityError(
      `Refusing artifact URI ${JSON.stringify(uri)}: expected artifact://sha256/<64 lowercase hex digits>`,
      { details: { uri } },
    );
  }
  return match[1];
}
