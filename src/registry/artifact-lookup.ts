/**
 * Which model an artifact belongs to, and its media type: the registry is the only index.
 * An artifact is reachable when a version's model file is it, or the version's lineage names
 * it (`validation-report`, `evaluation-report`, `evaluation-page`, ...). Anything else in the
 * store (scratch, data snapshots of unregistered runs) is not served, so the route cannot be
 * used to read the store at large.
 */
import { artifactUri } from '../artifacts/artifact-uri';
import type { ModelRegistry } from './model-registry';

export interface OwnedArtifact {
  model: string;
  version: number;
  /** Which artifact of the version: `model` or the lineage key. */
  role: string;
  mediaType: string;
}

/** Media types of the artifacts lineage names; the model file carries its own on its ref. */
const LINEAGE_MEDIA: Record<string, string> = {
  'evaluation-page': 'text/html; charset=utf-8',
  'validation-report-html': 'text/html; charset=utf-8',
  'evaluation-report': 'application/json',
  'validation-report': 'application/json',
};

export async function findArtifactOwner(registry: ModelRegistry, sha256: string): Promise<OwnedArtifact | undefined> {
  const uri = artifactUri(sha256);
  for (const m of await registry.listModels()) {
    // Newest first: a report shared by many versions is attributed to the latest.
    const versions = (await registry.listVersions(m.model)).reverse();
    for (const v of versions) {
      if (v.artifact.sha256 === sha256) return { model: v.model, version: v.version, role: 'model', mediaType: v.artifact.mediaType };
      for (const [key, value] of Object.entries(v.lineage)) {
        if (value === uri) return { model: v.model, version: v.version, role: key, mediaType: LINEAGE_MEDIA[key] ?? 'application/octet-stream' };
      }
    }
  }
  return undefined;
}
