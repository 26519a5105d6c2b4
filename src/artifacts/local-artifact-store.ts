/**
 * {@link ArtifactStore} on a local (or network-mounted) directory:
 *
 * ```
 * <root>/sha256/<first 2 hex>/<hex>   stored artifacts, read-only
 * <root>/tmp/                          in-flight writes, renamed into place when complete
 * <root>/scratch/                      directories handed out by scratchDir()
 * ```
 * Everything lives under one root so that every final rename stays on one filesystem.
 */
import { randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { ArtifactIntegrityError } from '../errors';
import type { ArtifactRef } from '../pipeline/types';
import type { ArtifactInfo, ArtifactStore, JsonArtifactInfo, PutOptions } from './artifact-store';
import { artifactUri, parseArtifactUri } from './artifact-uri';
import { canonicalJson } from './canonical-json';
import { ownerTag } from './orphan-sweep';
import { copyHashing, sha256OfBytes, sha256OfFile, writeNewFile, type Digest } from './file-hashing';
import { VerifiedDigestCache } from './verified-digest-cache';

/** Options for {@link LocalArtifactStore}. */
export interface LocalArtifactStoreOptions {
  /** Directory holding the store; created on first use. */
  root: string;
  /**
   * How many verified file digests to remember in memory.
   * @default 10000
   */
  verifiedCacheSize?: number;
}

export class LocalArtifactStore implements ArtifactStore {
  private readonly root: string;
  private readonly verified: VerifiedDigestCache;
  private realRoot: Promise<string> | undefined;

  constructor(options: LocalArtifactStoreOptions) {
    this.root = resolve(options.root);
    this.verified = new VerifiedDigestCache(options.verifiedCacheSize ?? 10_000);
  }

  async put(localPath: string, info: ArtifactInfo, options: PutOptions = {}): Promise<ArtifactRef> {
    await this.ready();
    // A symlink renamed into the store would stay a symlink; copy through it instead.
    if (options.move && (await lstat(localPath)).isFile()) {
      const tmp = this.tempPath();
      try {
        await rename(localPath, tmp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        const ref = await this.putCopy(localPath, info);
        await rm(localPath, { force: true });
        return ref;
      }
      try {
        // Hash after the rename: once inside the store, nobody else is writing to the file.
        const digest = await sha256OfFile(tmp);
        await this.commit(tmp, digest);
        return toRef(digest, info);
      } finally {
        await rm(tmp, { force: true });
      }
    }
    const ref = await this.putCopy(localPath, info);
    if (options.move) await rm(localPath, { force: true });
    return ref;
  }

  async putBytes(bytes: Uint8Array | string, info: ArtifactInfo): Promise<ArtifactRef> {
    await this.ready();
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    const digest = sha256OfBytes(buf);
    if (await this.isStored(digest.sha256)) return toRef(digest, info);
    const tmp = this.tempPath();
    try {
      await writeNewFile(tmp, buf);
      await this.commit(tmp, digest);
    } finally {
      await rm(tmp, { force: true });
    }
    return toRef(digest, info);
  }

  putJson(value: unknown, info: JsonArtifactInfo): Promise<ArtifactRef> {
    return this.putBytes(canonicalJson(value), { ...info, mediaType: info.mediaType ?? 'application/json' });
  }

  async localPath(ref: ArtifactRef): Promise<string> {
    const sha256 = checkRef(ref);
    const { real, bytes } = await this.verifyStored(sha256, ref.uri);
    checkSize(ref, bytes);
    return real;
  }

  async readBytes(ref: ArtifactRef): Promise<Uint8Array> {
    const sha256 = checkRef(ref);
    const { real } = await this.resolveStored(sha256, ref.uri);
    // Hash the bytes actually returned, not the file as it was at some earlier check.
    const bytes = await readFile(real);
    const actual = sha256OfBytes(bytes);
    if (actual.sha256 !== sha256) throw mismatch(ref.uri, sha256, actual, real);
    checkSize(ref, bytes.byteLength);
    return bytes;
  }

  async readJson<T = unknown>(ref: ArtifactRef): Promise<T> {
    const bytes = await this.readBytes(ref);
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as T;
  }

  async sizeOf(sha256: string): Promise<number | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    return stat(this.pathFor(sha256)).then((s) => s.size, () => undefined);
  }

  async delete(sha256: string): Promise<number | undefined> {
    const bytes = await this.sizeOf(sha256);
    if (bytes === undefined) return undefined;
    // unlink needs write permission on the fan-out folder only; the read-only file itself goes.
    await rm(this.pathFor(sha256), { force: true });
    return bytes;
  }

  async scratchDir(prefix: string): Promise<string> {
    await this.ready();
    const label = prefix.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'scratch';
    // The owner tag lets a later worker remove it if this process dies (orphan-sweep.ts); the
    // trailing '-' keeps the random suffix in the same path segment, so even '..' stays inside.
    return mkdtemp(join(this.root, 'scratch', `${label}${ownerTag()}-`));
  }

  /** Copies an outside file in, writing nothing when its content is already stored. */
  private async putCopy(source: string, info: ArtifactInfo): Promise<ArtifactRef> {
    const before = await sha256OfFile(source);
    if (await this.isStored(before.sha256)) return toRef(before, info);
    const tmp = this.tempPath();
    try {
      // Use the digest of what was copied: the source may have changed since it was first hashed.
      const copied = await copyHashing(source, tmp);
      await this.commit(tmp, copied);
      return toRef(copied, info);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Renames a complete temp file to its content address, unless a good copy is already there. */
  private async commit(tmp: string, digest: Digest): Promise<void> {
    if (await this.isStored(digest.sha256)) return;
    const final = this.pathFor(digest.sha256);
    const dir = dirname(final);
    await mkdir(dir, { recursive: true });
    // A fan-out directory replaced by a symlink must not redirect writes out of the store.
    this.assertInside(await realpath(dir), await this.ready(), artifactUri(digest.sha256));
    await chmod(tmp, 0o444);
    const { ino } = await stat(tmp, { bigint: true });
    // rename() atomically replaces a corrupt copy or a stray symlink; readers see old or new, never half.
    await rename(tmp, final);
    const stats = await stat(final, { bigint: true });
    if (stats.ino === ino) this.verified.set(await realpath(final), stats, digest.sha256);
  }

  /** True when a regular file inside the store holds exactly these bytes. */
  private async isStored(sha256: string): Promise<boolean> {
    try {
      await this.verifyStored(sha256, artifactUri(sha256));
      return true;
    } catch (err) {
      if (err instanceof ArtifactIntegrityError) return false;
      throw err;
    }
  }

  /** Resolves and hashes the stored file, skipping the hash when the file is known and untouched. */
  private async verifyStored(sha256: string, uri: string): Promise<{ real: string; bytes: number }> {
    const { real, stats } = await this.resolveStored(sha256, uri);
    if (this.verified.get(real, stats) !== sha256) {
      const actual = await sha256OfFile(real);
      if (actual.sha256 !== sha256) throw mismatch(uri, sha256, actual, real);
      this.verified.set(real, stats, sha256);
    }
    return { real, bytes: Number(stats.size) };
  }

  /** Finds the stored file for `sha256`, refusing anything missing, irregular or outside the root. */
  private async resolveStored(sha256: string, uri: string): Promise<{ real: string; stats: BigIntStats }> {
    const root = await this.ready();
    const path = this.pathFor(sha256);
    let real: string;
    try {
      real = await realpath(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new ArtifactIntegrityError(
        `Artifact ${uri} is missing: expected sha256 ${sha256} at ${path}, actual: no file. ` +
          'Re-run the step that produced it.',
        { details: { uri, expected: sha256, actual: null, path } },
      );
    }
    this.assertInside(real, root, uri);
    const stats = await stat(real, { bigint: true });
    if (!stats.isFile()) {
      throw new ArtifactIntegrityError(`Artifact ${uri} is not a regular file at ${real}`, {
        details: { uri, expected: sha256, actual: null, path: real },
      });
    }
    return { real, stats };
  }

  private assertInside(real: string, realRoot: string, uri: string): void {
    const rel = relative(realRoot, real);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new ArtifactIntegrityError(
        `Refusing artifact ${uri}: it resolves to ${real}, outside the store root ${realRoot}`,
        { details: { uri, path: real, root: realRoot } },
      );
    }
  }

  /** Creates the root's folders once; the promise is dropped on failure so a later call retries. */
  private ready(): Promise<string> {
    this.realRoot ??= (async () => {
      await mkdir(join(this.root, 'tmp'), { recursive: true });
      await mkdir(join(this.root, 'scratch'), { recursive: true });
      await mkdir(join(this.root, 'sha256'), { recursive: true });
      // Compare against the real root: the configured one may itself sit behind a symlink.
      return realpath(this.root);
    })().catch((err: unknown) => {
      this.realRoot = undefined;
      throw err;
    });
    return this.realRoot;
  }

  private pathFor(sha256: string): string {
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  private tempPath(): string {
    return join(this.root, 'tmp', `${randomUUID()}${ownerTag()}.partial`);
  }
}

/** Rejects refs whose URI is not ours or disagrees with their own sha256 field. */
function checkRef(ref: ArtifactRef): string {
  const sha256 = parseArtifactUri(ref.uri);
  if (ref.sha256 !== sha256) {
    throw new ArtifactIntegrityError(
      `Artifact ref is inconsistent: uri ${ref.uri} names sha256 ${sha256} but the ref says ${ref.sha256}`,
      { details: { uri: ref.uri, expected: ref.sha256, actual: sha256 } },
    );
  }
  return sha256;
}

function checkSize(ref: ArtifactRef, size: number): void {
  if (ref.bytes !== size) {
    throw new ArtifactIntegrityError(
      `Artifact ref ${ref.uri} says ${ref.bytes} bytes but the stored file has ${size}; the ref was altered`,
      { details: { uri: ref.uri, expectedBytes: ref.bytes, actualBytes: size } },
    );
  }
}

function mismatch(uri: string, expected: string, actual: Digest, path: string): ArtifactIntegrityError {
  return new ArtifactIntegrityError(
    `Artifact ${uri} is corrupt: expected sha256 ${expected}, actual ${actual.sha256} ` +
      `(${actual.bytes} bytes at ${path}). The file changed after it was stored; re-run the step that produced it.`,
    { details: { uri, expected, actual: actual.sha256, path } },
  );
}

function toRef(digest: Digest, info: ArtifactInfo): ArtifactRef {
  const ref: ArtifactRef = {
    uri: artifactUri(digest.sha256),
    sha256: digest.sha256,
    bytes: digest.bytes,
    name: info.name,
    mediaType: info.mediaType,
  };
  // Omit rather than store `meta: undefined`, which would not survive a JSON round trip.
  if (info.meta !== undefined) ref.meta = info.meta;
  return ref;
}
