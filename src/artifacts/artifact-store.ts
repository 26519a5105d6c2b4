/**
 * Where datasets, models and reports live. Workflows only ever see {@link ArtifactRef}s;
 * the bytes stay in the store and every read checks them against the ref's sha256.
 */
import type { ArtifactRef } from '../pipeline/types';

/** Describes an artifact being stored; copied onto the returned {@link ArtifactRef}. */
export interface ArtifactInfo {
  /** Logical name, e.g. `train`, `holdout`, `model`, `report`. */
  name: string;
  /** e.g. `application/vnd.apache.parquet`, `application/onnx`, `application/json`. */
  mediaType: string;
  /** Small, JSON-serialisable facts about the artifact (row counts, schema, metrics). */
  meta?: Record<string, unknown>;
}

/** Options for {@link ArtifactStore.put}. */
export interface PutOptions {
  /**
   * Take ownership of the source file: rename it into the store instead of copying it.
   * A rename only works within one filesystem; elsewhere the file is copied and then removed.
   * Files written under {@link ArtifactStore.scratchDir} are always on the store's filesystem.
   * @default false
   */
  move?: boolean;
}

/**
 * A content-addressed artifact store. The address of an artifact is the sha256 of its bytes,
 * so storing the same bytes twice is a no-op and a ref can never silently point at different data.
 *
 * Reads fail with `ArtifactIntegrityError` (non-retryable) when the bytes are missing, do not
 * match the ref, or the URI would resolve outside the store.
 */
export interface ArtifactStore {
  /**
   * Stores the file at `localPath` under its sha256 and returns a ref to it.
   *
   * The file is streamed, never read whole into memory. Storing content that is already
   * present writes nothing. The write is atomic: bytes land in a temporary file inside the
   * store and are renamed to their final name, so a crash never leaves a partial artifact
   * under that name.
   */
  put(localPath: string, info: ArtifactInfo, options?: PutOptions): Promise<ArtifactRef>;

  /** Stores in-memory bytes (strings are encoded as UTF-8); same guarantees as {@link put}. */
  putBytes(bytes: Uint8Array | string, info: ArtifactInfo): Promise<ArtifactRef>;

  /**
   * Stores `value` as canonical JSON (sorted keys, no whitespace), so equal values always
   * get the same digest. `info.mediaType` defaults to `application/json`.
   */
  putJson(value: unknown, info: JsonArtifactInfo): Promise<ArtifactRef>;

  /**
   * Returns a local path to the artifact's bytes after checking that they exist and hash to
   * `ref.sha256`. Verified digests are remembered per file (path, size, mtime, inode), so a
   * repeated call on an untouched file costs one `stat`.
   *
   * The path is read-only: callers must not modify or delete the file.
   * @throws ArtifactIntegrityError naming the URI, the expected and the actual digest.
   */
  localPath(ref: ArtifactRef): Promise<string>;

  /** Reads and parses a JSON artifact; the bytes are verified against `ref.sha256` first. */
  readJson<T = unknown>(ref: ArtifactRef): Promise<T>;

  /**
   * Size in bytes of the stored artifact with this digest, or undefined when it is not stored.
   * For callers that know an artifact only by its URI (a lineage entry) and need a full ref;
   * the bytes are still verified against the digest when read.
   */
  sizeOf(sha256: string): Promise<number | undefined>;

  /**
   * Deletes the stored bytes with this digest and answers how many bytes went, or undefined when
   * nothing was stored under it (deleting twice is harmless). Content addressing means the bytes
   * may be shared: only a caller that has checked every holder of the digest may delete
   * (src/registry/quarantine-purge.ts). A digest that is not 64 lowercase hex deletes nothing.
   */
  delete(sha256: string): Promise<number | undefined>;

  /** Reads a whole artifact into memory, verified; use {@link localPath} for large files. */
  readBytes(ref: ArtifactRef): Promise<Uint8Array>;

  /**
   * Creates a fresh, empty directory inside the store (on the store's filesystem) for a step
   * to write outputs into before handing them to `put(path, info, { move: true })`.
   * The caller removes the directory when done.
   * @param prefix short label for the directory name; characters outside `[A-Za-z0-9._-]` are replaced.
   */
  scratchDir(prefix: string): Promise<string>;
}

/** {@link ArtifactInfo} with `mediaType` optional, for {@link ArtifactStore.putJson}. */
export type JsonArtifactInfo = Omit<ArtifactInfo, 'mediaType'> & { mediaType?: string };
