/**
 * Reads the JSON reports a version's lineage points at (validation, evaluation), verified by
 * the artifact store, with a small cache: reports are content-addressed, so an entry never
 * goes stale.
 */
import type { ArtifactStore } from '../artifacts/artifact-store';
import { parseArtifactUri } from '../artifacts/artifact-uri';
import type { EvaluationReport } from '../evaluation/evaluation-report';
import type { ValidationReport } from '../validation/validation-report';

const MAX_ENTRIES = 200;

export class ReportReader {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly store: ArtifactStore | undefined) {}

  /** The parsed report, or undefined when there is no store, no URI, or it cannot be read. */
  async read<T>(uri: string | null | undefined): Promise<T | undefined> {
    if (!uri || !this.store) return undefined;
    let hit = this.cache.get(uri);
    if (!hit) {
      const store = this.store;
      hit = (async () => {
        const sha256 = parseArtifactUri(uri);
        const bytes = await store.sizeOf(sha256);
        if (bytes === undefined) throw new Error(`report ${uri} is not in the artifact store`);
        return store.readJson({ uri, sha256, bytes, name: 'report', mediaType: 'application/json' });
      })();
      hit.catch(() => this.cache.delete(uri));
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(uri, hit);
    }
    return (await hit.catch(() => undefined)) as T | undefined;
  }

  evaluation = (uri: string | null | undefined) => this.read<EvaluationReport>(uri);
  validation = (uri: string | null | undefined) => this.read<ValidationReport>(uri);
}
