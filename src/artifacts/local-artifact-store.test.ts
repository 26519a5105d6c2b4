import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactIntegrityError } from '../errors';
import type { ArtifactRef } from '../pipeline/types';
import { LocalArtifactStore } from './local-artifact-store';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let root: string;
let store: LocalArtifactStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-artifacts-'));
  root = join(dir, 'store');
  store = new LocalArtifactStore({ root });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

async function writeSource(name: string, content: Uint8Array | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Every file stored under <root>/sha256, as paths relative to the root. */
async function storedFiles(): Promise<string[]> {
  const entries = await readdir(join(root, 'sha256'), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Rewrites a stored artifact in place, as a stray process or bit rot would. */
async function tamper(ref: ArtifactRef, content: string): Promise<void> {
  const path = join(root, 'sha256', ref.sha256.slice(0, 2), ref.sha256);
  await chmod(path, 0o644);
  await writeFile(path, content);
}

async function integrityError(promise: Promise<unknown>): Promise<ArtifactIntegrityError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArtifactIntegrityError);
  return err as ArtifactIntegrityError;
}

describe('LocalArtifactStore', () => {
  describe('storing and reading', () => {
    it('stores a file under sha256/<first 2 hex>/<hex> and returns a ref describing it', async () => {
      const content = 'label,score\n1,0.9\n';
      const ref = await store.put(await writeSource('train.csv', content), {
        name: 'train',
        mediaType: 'text/csv',
        meta: { rows: 1 },
      });

      const digest = sha256(content);
      expect(ref).toEqual({
        uri: `artifact://sha256/${digest}`,
        sha256: digest,
        bytes: Buffer.byteLength(content),
        name: 'train',
        mediaType: 'text/csv',
        meta: { rows: 1 },
      });
      expect(await storedFiles()).toEqual([join('sha256', digest.slice(0, 2), digest)]);
      expect(await readFile(await store.localPath(ref), 'utf8')).toBe(content);
      expect(Buffer.from(await store.readBytes(ref)).toString('utf8')).toBe(content);
    });

    it('leaves the source file in place when copying', async () => {
      const source = await writeSource('model.onnx', 'weights');
      await store.put(source, { name: 'model', mediaType: 'application/onnx' });
      expect(await readFile(source, 'utf8')).toBe('weights');
    });

    it('streams multi-megabyte files and reads them back intact', async () => {
      const content = randomBytes(5 * 1024 * 1024 + 17);
      const ref = await store.put(await writeSource('big.bin', content), { name: 'big', mediaType: 'application/octet-stream' });
      expect(ref.sha256).toBe(sha256(content));
      expect(ref.bytes).toBe(content.byteLength);
      expect(Buffer.compare(await readFile(await store.localPath(ref)), content)).toBe(0);
    });

    it('round-trips putBytes for strings and byte arrays alike', async () => {
      const fromString = await store.putBytes('héllo', { name: 'greeting', mediaType: 'text/plain' });
      const fromBytes = await store.putBytes(new TextEncoder().encode('héllo'), { name: 'greeting', mediaType: 'text/plain' });
      expect(fromBytes).toEqual(fromString);
      expect(Buffer.from(await store.readBytes(fromString)).toString('utf8')).toBe('héllo');
    });

    it('stores JSON canonically, so key order does not change the digest', async () => {
      const a = await store.putJson({ b: 1, a: { d: [1, 2], c: null } }, { name: 'report' });
      const b = await store.putJson({ a: { c: null, d: [1, 2] }, b: 1 }, { name: 'report' });
      expect(b.sha256).toBe(a.sha256);
      expect(a.mediaType).toBe('application/json');
      expect(await readFile(await store.localPath(a), 'utf8')).toBe('{"a":{"c":null,"d":[1,2]},"b":1}');
      expect(await store.readJson(a)).toEqual({ a: { c: null, d: [1, 2] }, b: 1 });
    });

    it('omits meta from the ref when none was given, so refs survive a JSON round trip unchanged', async () => {
      const ref = await store.putBytes('x', { name: 'x', mediaType: 'text/plain' });
      expect('meta' in ref).toBe(false);
    });
  });

  describe('idempotence and atomicity', () => {
    it('stores the same content once and does not rewrite it on a second put', async () => {
      const first = await store.put(await writeSource('a.csv', 'same'), { name: 'a', mediaType: 'text/csv' });
      const before = await stat(await store.localPath(first), { bigint: true });
      const second = await store.put(await writeSource('b.csv', 'same'), { name: 'b', mediaType: 'text/csv' });
      const after = await stat(await store.localPath(second), { bigint: true });

      expect(second.uri).toBe(first.uri);
      expect(await storedFiles()).toHaveLength(1);
      expect(after.ino).toBe(before.ino);
      expect(after.mtimeNs).toBe(before.mtimeNs);
    });

    it('leaves no temporary files behind', async () => {
      await store.put(await writeSource('a.csv', 'one'), { name: 'a', mediaType: 'text/csv' });
      await store.putBytes('two', { name: 'b', mediaType: 'text/plain' });
      await store.putBytes('two', { name: 'b', mediaType: 'text/plain' });
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
    });

    it('stores artifacts read-only', async () => {
      const ref = await store.putBytes('frozen', { name: 'f', mediaType: 'text/plain' });
      expect((await stat(await store.localPath(ref))).mode & 0o777).toBe(0o444);
    });

    it('is safe when many puts of the same content race, from one or two store instances', async () => {
      const content = randomBytes(256 * 1024);
      const sources = await Promise.all(Array.from({ length: 8 }, (_, i) => writeSource(`race-${i}.bin`, content)));
      const other = new LocalArtifactStore({ root });
      const info = { name: 'race', mediaType: 'application/octet-stream' };

      const refs = await Promise.all([
        ...sources.map((source, i) => (i % 2 ? other : store).put(source, info)),
        store.putBytes(content, info),
        other.putBytes(content, info),
      ]);

      expect(new Set(refs.map((r) => r.uri)).size).toBe(1);
      expect(await storedFiles()).toHaveLength(1);
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
      expect(Buffer.compare(Buffer.from(await store.readBytes(refs[0])), content)).toBe(0);
    });

    it('replaces a corrupt stored copy when the genuine content is put again', async () => {
      const ref = await store.putBytes('genuine', { name: 'g', mediaType: 'text/plain' });
      await tamper(ref, 'rotten');
      await store.putBytes('genuine', { name: 'g', mediaType: 'text/plain' });
      expect(Buffer.from(await store.readBytes(ref)).toString()).toBe('genuine');
    });
  });

  describe('moving files in', () => {
    it('renames a file from a scratch directory into the store', async () => {
      const scratch = await store.scratchDir('train');
      const source = join(scratch, 'model.onnx');
      await writeFile(source, 'trained weights');
      const { ino } = await stat(source);

      const ref = await store.put(source, { name: 'model', mediaType: 'application/onnx' }, { move: true });

      await expect(stat(source)).rejects.toMatchObject({ code: 'ENOENT' });
      const stored = await stat(await store.localPath(ref));
      expect(stored.ino).toBe(ino);
      expect(await readFile(await store.localPath(ref), 'utf8')).toBe('trained weights');
    });

    it('consumes the source even when its content was already stored', async () => {
      await store.putBytes('dup', { name: 'd', mediaType: 'text/plain' });
      const source = await writeSource('dup.txt', 'dup');
      await store.put(source, { name: 'd', mediaType: 'text/plain' }, { move: true });
      await expect(stat(source)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await storedFiles()).toHaveLength(1);
    });

    it('hands out fresh scratch directories inside the root, whatever the prefix', async () => {
      const a = await store.scratchDir('../../escape');
      const b = await store.scratchDir('../../escape');
      expect(a).not.toBe(b);
      expect(dirname(a)).toBe(join(root, 'scratch'));
      expect(await readdir(a)).toEqual([]);
    });
  });

  describe('integrity checks', () => {
    it('refuses a tampered file, naming the URI and both digests', async () => {
      const ref = await store.putBytes('original', { name: 'o', mediaType: 'text/plain' });
      await store.localPath(ref); // verified once, so the check below must not trust the cache
      await tamper(ref, 'tampered');

      const err = await integrityError(store.localPath(ref));
      expect(err.message).toContain(ref.uri);
      expect(err.message).toContain(`expected sha256 ${ref.sha256}`);
      expect(err.message).toContain(`actual ${sha256('tampered')}`);
      expect(err.details).toMatchObject({ uri: ref.uri, expected: ref.sha256, actual: sha256('tampered') });

      await integrityError(store.readBytes(ref));
      await integrityError(store.readJson(ref));
    });

    it('refuses a tampered file even when size and mtime were restored', async () => {
      const ref = await store.putBytes('aaaa', { name: 'o', mediaType: 'text/plain' });
      const path = await store.localPath(ref);
      const { atime, mtime } = await stat(path);
      await tamper(ref, 'bbbb');
      const { utimes } = await import('node:fs/promises');
      await utimes(path, atime, mtime);
      await integrityError(store.localPath(ref));
    });

    it('reports a missing artifact clearly', async () => {
      const ref = await store.putBytes('gone', { name: 'g', mediaType: 'text/plain' });
      await rm(await store.localPath(ref));
      const err = await integrityError(store.localPath(ref));
      expect(err.message).toMatch(/is missing: expected sha256 [0-9a-f]{64} .* actual: no file/);
    });

    it('refuses a ref whose sha256 disagrees with its URI', async () => {
      const ref = await store.putBytes('x', { name: 'x', mediaType: 'text/plain' });
      const forged = { ...ref, sha256: sha256('y') };
      expect((await integrityError(store.localPath(forged))).message).toContain('inconsistent');
    });

    it('refuses a ref whose byte count was altered', async () => {
      const ref = await store.putBytes('x', { name: 'x', mediaType: 'text/plain' });
      await integrityError(store.localPath({ ...ref, bytes: 2 }));
    });

    it.each([
      'artifact://sha256/../../../etc/passwd',
      `artifact://sha256/${'a'.repeat(62)}/..`,
      'artifact:///etc/passwd',
      '/etc/passwd',
      'file:///etc/passwd',
      `artifact://sha256/${'A'.repeat(64)}`,
      `artifact://sha256/${'a'.repeat(64)}/../x`,
    ])('refuses the URI %s without touching the filesystem', async (uri) => {
      const err = await integrityError(
        store.localPath({ uri, sha256: 'a'.repeat(64), bytes: 1, name: 'x', mediaType: 'text/plain' }),
      );
      expect(err.message).toContain('Refusing artifact URI');
    });

    it('refuses a stored path that is a symlink to a file outside the root', async () => {
      const outside = await writeSource('secret.txt', 'outside the store');
      const digest = sha256('outside the store');
      const link = join(root, 'sha256', digest.slice(0, 2), digest);
      await mkdir(dirname(link), { recursive: true });
      await symlink(outside, link);

      const ref = { uri: `artifact://sha256/${digest}`, sha256: digest, bytes: 17, name: 's', mediaType: 'text/plain' };
      expect((await integrityError(store.localPath(ref))).message).toContain('outside the store root');
      await integrityError(store.readBytes(ref));
    });

    it('refuses a fan-out directory that is a symlink out of the root, and never writes through it', async () => {
      const digest = sha256('redirected');
      const outsideDir = join(dir, 'elsewhere');
      await mkdir(outsideDir);
      await mkdir(join(root, 'sha256'), { recursive: true });
      await symlink(outsideDir, join(root, 'sha256', digest.slice(0, 2)));

      await integrityError(store.putBytes('redirected', { name: 'r', mediaType: 'text/plain' }));
      expect(await readdir(outsideDir)).toEqual([]);
    });
  });
});

describe('delete', () => {
  it('removes the read-only file, answers its size once, and then reads of it fail as missing', async () => {
    const ref = await store.putBytes('tainted rows\n', { name: 'train', mediaType: 'text/plain' });
    const other = await store.putBytes('clean rows\n', { name: 'train', mediaType: 'text/plain' });
    expect(await store.delete(ref.sha256)).toBe(ref.bytes);
    expect(await store.delete(ref.sha256)).toBeUndefined();
    expect(await store.sizeOf(ref.sha256)).toBeUndefined();
    await expect(store.localPath(ref)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    expect(Buffer.from(await store.readBytes(other)).toString()).toBe('clean rows\n');
  });

  it('deletes nothing for a digest that is not 64 lowercase hex digits', async () => {
    const ref = await store.putBytes('kept\n', { name: 'x', mediaType: 'text/plain' });
    for (const bad of ['../' + ref.sha256.slice(3), ref.sha256.toUpperCase(), '', ref.sha256.slice(0, 2)]) expect(await store.delete(bad)).toBeUndefined();
    expect(await store.sizeOf(ref.sha256)).toBe(ref.bytes);
  });
});
