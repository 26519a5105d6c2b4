/**
 * S3ArtifactStore against a real S3-compatible HTTP server (moto's server mode, installed from
 * PyPI by scripts/s3-test-server.sh), with the same behavioural checks as the local store's tests:
 * round trips, idempotence, tamper detection, missing objects, refused credentials.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installS3Server, startS3Server, type S3Server } from '../../test/helpers/s3-test-server';
import { loadConfig } from '../config';
import { ArtifactIntegrityError } from '../errors';
import type { ArtifactRef } from '../pipeline/types';
import { createArtifactStore } from './create-artifact-store';
import { LocalArtifactStore } from './local-artifact-store';
import { S3ArtifactStore } from './s3-artifact-store';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

function client(endpoint: string, accessKeyId = 'test', secretAccessKey = 'test'): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function integrityError(promise: Promise<unknown>): Promise<ArtifactIntegrityError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArtifactIntegrityError);
  return err as ArtifactIntegrityError;
}

let server: S3Server;
let s3: S3Client;
let dir: string;
let bucket: string;
let store: S3ArtifactStore;
/** Requests sent through `s3` by command name, to see what the store actually does. */
let sent: string[];
/** The sha256 header of each UploadPart request sent through `s3`. */
let partChecksums: Array<string | undefined>;

beforeAll(async () => {
  // Installs moto into .tools/venvs/s3-server on first use (about a minute, once per machine).
  installS3Server();
  server = await startS3Server();
  s3 = client(server.endpoint);
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize' },
  );
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UploadPartCommand') {
        partChecksums.push((args.request as { headers: Record<string, string> }).headers['x-amz-checksum-sha256']);
      }
      return next(args);
    },
    { step: 'finalizeRequest' },
  );
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(async () => {
  sent = [];
  partChecksums = [];
  dir = await mkdtemp(join(tmpdir(), 'slipway-s3-'));
  bucket = `slipway-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  store = new S3ArtifactStore({ client: s3, bucket, prefix: 'team/a', cacheRoot: join(dir, 'cache') });
  return () => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

/** Another machine: same bucket, empty local cache. */
const elsewhere = (name = 'other') => new S3ArtifactStore({ client: s3, bucket, prefix: 'team/a', cacheRoot: join(dir, name) });

async function keys(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

async function tamperObject(ref: ArtifactRef, content: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: store.keyFor(ref.sha256), Body: content }));
}

describe('S3ArtifactStore on an S3-compatible server', () => {
  describe('storing and reading', () => {
    it('uploads under <prefix>/sha256/<ab>/<hex> and reads it back on a machine with an empty cache', async () => {
      const content = 'label,score\n1,0.9\n';
      const source = join(dir, 'train.csv');
      await writeFile(source, content);
      const ref = await store.put(source, { name: 'train', mediaType: 'text/csv', meta: { rows: 1 } });

      const digest = sha256(content);
      expect(ref).toEqual({
        uri: `artifact://sha256/${digest}`,
        sha256: digest,
        bytes: Buffer.byteLength(content),
        name: 'train',
        mediaType: 'text/csv',
        meta: { rows: 1 },
      });
      expect(await keys()).toEqual([`team/a/sha256/${digest.slice(0, 2)}/${digest}`]);
      const other = elsewhere();
      // A machine that knows the artifact only by its digest learns its size from the bucket.
      expect(await other.sizeOf(digest)).toBe(Buffer.byteLength(content));
      expect(await other.sizeOf('f'.repeat(64))).toBeUndefined();
      expect(await readFile(await other.localPath(ref), 'utf8')).toBe(content);
      expect(Buffer.from(await other.readBytes(ref)).toString('utf8')).toBe(content);
    });

    it('streams multi-megabyte files up and down intact', async () => {
      const content = randomBytes(5 * 1024 * 1024 + 17);
      const source = join(dir, 'big.bin');
      await writeFile(source, content);
      const ref = await store.put(source, { name: 'big', mediaType: 'application/octet-stream' }, { move: true });
      expect(ref.sha256).toBe(sha256(content));
      expect(Buffer.compare(await readFile(await elsewhere().localPath(ref)), content)).toBe(0);
    });

    it('sends an artifact over the multipart threshold in parts, each checked by S3, and reads it back whole', async () => {
      const MiB = 1024 * 1024;
      const parts = new S3ArtifactStore({ client: s3, bucket, prefix: 'team/a', cacheRoot: join(dir, 'parts'), multipartThreshold: 8 * MiB, partSize: 5 * MiB });
      const content = randomBytes(11 * MiB + 5);
      sent = [];
      const ref = await parts.putBytes(content, { name: 'snapshot', mediaType: 'application/vnd.apache.parquet' });
      expect(sent.filter((c) => c !== 'HeadObjectCommand')).toEqual([
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
      ]);
      // Each part went with its own sha256, which S3 checks against the bytes it received.
      expect(partChecksums).toHaveLength(3);
      expect(partChecksums.every((c) => typeof c === 'string' && Buffer.from(c, 'base64').length === 32)).toBe(true);
      expect(new Set(partChecksums).size).toBe(3);
      expect(Buffer.compare(await readFile(await elsewhere().localPath(ref)), content)).toBe(0);
      // Already there (its sha256 is in the object's metadata): not sent again.
      sent = [];
      await parts.putBytes(content, { name: 'snapshot', mediaType: 'application/vnd.apache.parquet' });
      expect(sent).toEqual(['HeadObjectCommand']);
      // Below the threshold: one PutObject carrying the whole object's sha256.
      sent = [];
      await parts.putBytes(randomBytes(MiB), { name: 'small', mediaType: 'application/octet-stream' });
      expect(sent).toEqual(['HeadObjectCommand', 'PutObjectCommand']);
    });

    it('stores JSON canonically and reads it back parsed', async () => {
      const a = await store.putJson({ b: 1, a: { d: [1, 2], c: null } }, { name: 'report' });
      const b = await store.putJson({ a: { c: null, d: [1, 2] }, b: 1 }, { name: 'report' });
      expect(b.sha256).toBe(a.sha256);
      expect(await elsewhere().readJson(a)).toEqual({ a: { c: null, d: [1, 2] }, b: 1 });
    });
  });

  describe('idempotence', () => {
    it('uploads the same content once, from one machine or two racing', async () => {
      const content = randomBytes(64 * 1024);
      await store.putBytes(content, { name: 'x', mediaType: 'application/octet-stream' });
      await store.putBytes(content, { name: 'x', mediaType: 'application/octet-stream' });
      expect(sent.filter((c) => c === 'PutObjectCommand')).toHaveLength(1);

      const refs = await Promise.all([elsewhere('m1'), elsewhere('m2'), store].map((s) => s.putBytes(content, { name: 'x', mediaType: 'application/octet-stream' })));
      expect(new Set(refs.map((r) => r.uri)).size).toBe(1);
      expect(await keys()).toHaveLength(1);
    });

    it('replaces a corrupt object when the genuine content is put again', async () => {
      const ref = await store.putBytes('genuine', { name: 'g', mediaType: 'text/plain' });
      await tamperObject(ref, 'rotten!');
      await store.putBytes('genuine', { name: 'g', mediaType: 'text/plain' });
      expect(Buffer.from(await elsewhere().readBytes(ref)).toString()).toBe('genuine');
    });
  });

  describe('integrity checks', () => {
    it('refuses an object whose bytes changed in the bucket, naming the key and both digests', async () => {
      const ref = await store.putBytes('original', { name: 'o', mediaType: 'text/plain' });
      await tamperObject(ref, 'tampered');
      const other = elsewhere();

      const err = await integrityError(other.localPath(ref));
      expect(err.message).toContain(ref.uri);
      expect(err.message).toContain(`s3://${bucket}/team/a/sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`);
      expect(err.message).toContain(`expected sha256 ${ref.sha256}, actual ${sha256('tampered')}`);
      expect(err.details).toMatchObject({ uri: ref.uri, expected: ref.sha256, actual: sha256('tampered'), key: store.keyFor(ref.sha256) });
      await integrityError(other.readBytes(ref));
      await integrityError(other.readJson(ref));
      // Nothing unverified was left in the other machine's cache.
      expect(await readdir(join(dir, 'other', 'sha256'), { recursive: true }).then((e) => e.filter((p) => p.length > 3))).toEqual([]);
    });

    it('fetches again when the local cached copy was tampered with', async () => {
      const ref = await store.putBytes('kept in the bucket', { name: 'k', mediaType: 'text/plain' });
      const cached = await store.localPath(ref);
      await chmod(cached, 0o644);
      await writeFile(cached, 'edited locally');
      expect(await readFile(await store.localPath(ref), 'utf8')).toBe('kept in the bucket');
    });

    it('reports a missing object clearly, naming the key', async () => {
      const ref = await new LocalArtifactStore({ root: join(dir, 'never-uploaded') }).putBytes('gone', { name: 'g', mediaType: 'text/plain' });
      const err = await integrityError(store.localPath(ref));
      expect(err.message).toContain(`is missing: expected an object at s3://${bucket}/${store.keyFor(ref.sha256)}, actual: no object`);
      expect(err.details).toMatchObject({ reason: 'missing', key: store.keyFor(ref.sha256) });
    });

    it('names the bucket when it does not exist', async () => {
      const lost = new S3ArtifactStore({ client: s3, bucket: 'no-such-bucket-here', cacheRoot: join(dir, 'lost') });
      const err = await integrityError(lost.putBytes('x', { name: 'x', mediaType: 'text/plain' }));
      expect(err.message).toContain('S3 bucket no-such-bucket-here does not exist');
      expect(err.details).toMatchObject({ reason: 'no-bucket', operation: 'PutObject' });
    });

    it('refuses a malformed or self-contradicting ref without asking S3', async () => {
      const ref = await store.putBytes('x', { name: 'x', mediaType: 'text/plain' });
      sent = [];
      await integrityError(elsewhere().localPath({ ...ref, uri: 'artifact://sha256/../../etc/passwd' }));
      expect((await integrityError(elsewhere().localPath({ ...ref, sha256: sha256('y') }))).message).toContain('inconsistent');
      expect(sent).toEqual([]);
    });
  });

  describe('refused credentials', () => {
    let guarded: S3Server;
    beforeAll(async () => {
      guarded = await startS3Server(true);
    });
    afterAll(async () => {
      await guarded?.stop();
    });

    it('turns a 403 into a permanent ArtifactIntegrityError naming the key and the credentials to check', async () => {
      const denied = new S3ArtifactStore({ client: client(guarded.endpoint, 'AKIAUNKNOWN0000000000', 'wrong'), bucket: 'locked', cacheRoot: join(dir, 'denied') });
      const writeErr = await integrityError(denied.putBytes('secret', { name: 's', mediaType: 'text/plain' }));
      expect(writeErr.message).toMatch(/^S3 refused (HeadObject|PutObject) on s3:\/\/locked\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64} \(\w+, HTTP 403\)/);
      expect(writeErr.message).toContain('AWS_ACCESS_KEY_ID');
      expect(writeErr.details).toMatchObject({ reason: 'access-denied', status: 403 });
      expect(writeErr.retryable).toBe(false);

      const ref = await store.putBytes('not in the denied cache', { name: 's', mediaType: 'text/plain' });
      const readErr = await integrityError(denied.localPath(ref));
      expect(readErr.message).toContain(`S3 refused GetObject on s3://locked/${denied.keyFor(ref.sha256)}`);
    });
  });
});

describe('createArtifactStore', () => {
  it('builds the local store by default and the S3 store for SLIPWAY_ARTIFACT_URL=s3://…', async () => {
    const base = { SLIPWAY_DATA_DIR: dir };
    expect(createArtifactStore(loadConfig(base))).toBeInstanceOf(LocalArtifactStore);

    const config = loadConfig({
      ...base,
      SLIPWAY_ARTIFACT_URL: `s3://${bucket}/from-config/`,
      SLIPWAY_S3_ENDPOINT: server.endpoint,
      SLIPWAY_S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config.artifacts.s3).toEqual({ bucket, prefix: 'from-config', endpoint: server.endpoint, forcePathStyle: true, region: undefined });
    const previous = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      const configured = createArtifactStore(config);
      expect(configured).toBeInstanceOf(S3ArtifactStore);
      const ref = await configured.putBytes('via config', { name: 'c', mediaType: 'text/plain' });
      expect(await keys()).toEqual([`from-config/sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`]);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = previous.id;
      process.env.AWS_SECRET_ACCESS_KEY = previous.secret;
      if (previous.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (previous.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it('refuses an artifact URL that is not s3://<bucket>[/<prefix>]', () => {
    expect(() => loadConfig({ SLIPWAY_ARTIFACT_URL: 'gs://bucket/x' })).toThrow(/SLIPWAY_ARTIFACT_URL: expected s3:\/\/<bucket>\[\/<prefix>\]/);
  });
});
