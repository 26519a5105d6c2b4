/**
 * {@link ArtifactStore} on an S3-compatible bucket, for workers spread over machines:
 *
 * ```
 * s3://<bucket>/<prefix>/sha256/<first 2 hex>/<hex>   the artifacts, same layout as the local store
 * <cacheRoot>/                                          a LocalArtifactStore: verified local copies
 * ```
 * Trainers and DuckDB need file paths, so every read goes through the local cache: an object is
 * downloaded into it, hashed on the way and refused unless it matches the ref's sha256. Writes
 * land in the cache first, then go up with their sha256 as the upload checksum, so S3 itself
 * refuses bytes that changed in transit. The bucket is the source of truth: a cached copy that
 * fails its check is fetched again. Details: ARCHITECTURE.md.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client, type S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ArtifactIntegrityError, isArtifactIntegrityError } from '../errors';
import type { ArtifactRef } from '../pipeline/types';
import type { ArtifactInfo, ArtifactStore, JsonArtifactInfo, PutOptions } from './artifact-store';
import { parseArtifactUri } from './artifact-uri';
import { canonicalJson } from './canonical-json';
import { LocalArtifactStore } from './local-artifact-store';

/** Options for {@link S3ArtifactStore}. */
export interface S3ArtifactStoreOptions {
  /** A configured client (region, endpoint, credentials); see `createArtifactStore`. */
  client: S3Client;
  bucket: string;
  /**
   * Key prefix inside the bucket, without leading or trailing `/`.
   * @default ''
   */
  prefix?: string;
  /** Folder of the local verified cache (a LocalArtifactStore root); created on first use. */
  cacheRoot: string;
  /**
   * Artifacts of this many bytes or more go up as a multipart upload (S3 takes at most 5 GiB in
   * one PutObject); S3 checks each part's sha256, and a failed upload is aborted, never visible.
   * @default 64 MiB
   */
  multipartThreshold?: number;
  /**
   * Part size of multipart uploads, raised when needed to stay within S3's 10,000 parts.
   * @default 16 MiB (S3's minimum is 5 MiB)
   */
  partSize?: number;
}

const MiB = 1024 * 1024;
/** S3's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000;

export class S3ArtifactStore implements ArtifactStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly cache: LocalArtifactStore;
  private readonly multipartThreshold: number;
  private readonly partSize: number;

  constructor(options: S3ArtifactStoreOptions) {
    this.client = options.client;
    this.multipartThreshold = options.multipartThreshold ?? 64 * MiB;
    this.partSize = Math.max(options.partSize ?? 16 * MiB, 5 * MiB);
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.cache = new LocalArtifactStore({ root: options.cacheRoot });
  }

  /** The object key of a digest: `<prefix>/sha256/<ab>/<hex>`. */
  keyFor(sha256: string): string {
    const key = `sha256/${sha256.slice(0, 2)}/${sha256}`;
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(localPath: string, info: ArtifactInfo, options: PutOptions = {}): Promise<ArtifactRef> {
    const ref = await this.cache.put(localPath, info, options);
    await this.upload(ref);
    return ref;
  }

  async putBytes(bytes: Uint8Array | string, info: ArtifactInfo): Promise<ArtifactRef> {
    const ref = await this.cache.putBytes(bytes, info);
    await this.upload(ref);
    return ref;
  }

  putJson(value: unknown, info: JsonArtifactInfo): Promise<ArtifactRef> {
    return this.putBytes(canonicalJson(value), { ...info, mediaType: info.mediaType ?? 'application/json' });
  }

  async sizeOf(sha256: string): Promise<number | undefined> {
    const cached = await this.cache.sizeOf(sha256);
    if (cached !== undefined) return cached;
    const key = this.keyFor(sha256);
    const head = await this.call('HeadObject', key, `artifact://sha256/${sha256}`, true, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
    return head?.ContentLength;
  }

  async delete(sha256: string): Promise<number | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const key = this.keyFor(sha256);
    const uri = `artifact://sha256/${sha256}`;
    const head = await this.call('HeadObject', key, uri, true, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
    // The cache first: a verified cached copy is served without asking the bucket, so deleting the
    // bucket's object first and crashing would leave readable bytes; the other way round a read
    // in between only downloads them again, and the next attempt deletes both.
    const cached = await this.cache.delete(sha256);
    if (head) await this.call('DeleteObject', key, uri, true, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    return head?.ContentLength ?? cached;
  }

  async localPath(ref: ArtifactRef): Promise<string> {
    await this.fetch(ref);
    return this.cache.localPath(ref);
  }

  async readBytes(ref: ArtifactRef): Promise<Uint8Array> {
    await this.fetch(ref);
    return this.cache.readBytes(ref);
  }

  async readJson<T = unknown>(ref: ArtifactRef): Promise<T> {
    await this.fetch(ref);
    return this.cache.readJson<T>(ref);
  }

  scratchDir(prefix: string): Promise<string> {
    return this.cache.scratchDir(prefix);
  }

  /** Uploads the cached copy of `ref` unless the bucket already holds exactly these bytes. */
  private async upload(ref: ArtifactRef): Promise<void> {
    const key = this.keyFor(ref.sha256);
    const checksum = Buffer.from(ref.sha256, 'hex').toString('base64');
    // S3 keeps the sha256 it checked on upload; a match means the object is already right.
    const head = await this.call('HeadObject', key, ref.uri, true, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' })),
    );
    if (head && head.ContentLength === ref.bytes && (head.ChecksumSHA256 === checksum || head.Metadata?.sha256 === ref.sha256)) return;
    const path = await this.cache.localPath(ref);
    if (ref.bytes >= this.multipartThreshold) {
      await this.call('PutObject', key, ref.uri, false, () =>
        new Upload({
          client: this.client,
          params: {
            Bucket: this.bucket,
            Key: key,
            Body: createReadStream(path),
            ContentType: ref.mediaType,
            // The whole object's sha256 cannot be sent with a multipart upload: S3 checks each part's instead.
            ChecksumAlgorithm: 'SHA256',
            Metadata: { sha256: ref.sha256 },
          },
          partSize: Math.max(this.partSize, Math.ceil(ref.bytes / MAX_PARTS)),
          queueSize: 4,
          leavePartsOnError: false,
        }).done(),
      );
      return;
    }
    await this.call('PutObject', key, ref.uri, false, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: ref.bytes,
          ContentType: ref.mediaType,
          // S3 recomputes this over what it received and refuses the upload on a mismatch.
          ChecksumSHA256: checksum,
          Metadata: { sha256: ref.sha256 },
        }),
      ),
    );
  }

  /** Makes sure the local cache holds verified bytes of `ref`, downloading them when it does not. */
  private async fetch(ref: ArtifactRef): Promise<void> {
    const sha256 = parseArtifactUri(ref.uri);
    // A ref that disagrees with itself is refused by the cache below, without a request.
    if (ref.sha256 !== sha256) return;
    try {
      await this.cache.localPath(ref);
      return;
    } catch (err) {
      // Missing or corrupt in the cache (the error names a path): fetch it. Altered refs fail here.
      if (!isArtifactIntegrityError(err) || !('path' in err.details)) throw err;
    }
    const key = this.keyFor(sha256);
    const where = `s3://${this.bucket}/${key}`;
    const object = (await this.call('GetObject', key, ref.uri, false, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    ))!;
    const dir = await this.cache.scratchDir('download');
    try {
      const tmp = join(dir, sha256);
      const hash = createHash('sha256');
      let bytes = 0;
      await pipeline(
        object.Body as Readable,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            bytes += chunk.byteLength;
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: 'wx' }),
      );
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        throw new ArtifactIntegrityError(
          `Artifact ${ref.uri} is corrupt in S3: expected sha256 ${sha256}, actual ${actual} (${bytes} bytes at ${where}). ` +
            'The object changed after it was stored; re-run the step that produced it.',
          { details: { uri: ref.uri, expected: sha256, actual, key, bucket: this.bucket } },
        );
      }
      await this.cache.put(tmp, { name: ref.name, mediaType: ref.mediaType }, { move: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Runs one request, turning S3's answers into Slipway errors: a missing object and a refusal
   * are permanent (ArtifactIntegrityError naming the key); anything else (network, 5xx, throttling)
   * stays a plain error, so the activity retries.
   */
  private async call<T>(op: string, key: string, uri: string, missingIsNull: boolean, request: () => Promise<T>): Promise<T | undefined> {
    const where = `s3://${this.bucket}/${key}`;
    try {
      return await request();
    } catch (err) {
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      const code = (err as Error).name;
      if (status === 404 || code === 'NoSuchKey' || code === 'NotFound') {
        if (code === 'NoSuchBucket') {
          throw new ArtifactIntegrityError(`S3 bucket ${this.bucket} does not exist (${op} ${where}); create it or fix SLIPWAY_ARTIFACT_URL`, {
            cause: err,
            details: { uri, key, bucket: this.bucket, reason: 'no-bucket', operation: op },
          });
        }
        if (missingIsNull) return undefined;
        throw new ArtifactIntegrityError(
          `Artifact ${uri} is missing: expected an object at ${where}, actual: no object. Re-run the step that produced it.`,
          { cause: err, details: { uri, expected: key.slice(-64), actual: null, key, bucket: this.bucket, reason: 'missing' } },
        );
      }
      if (status === 403 || status === 401 || code === 'AccessDenied' || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
        throw new ArtifactIntegrityError(
          `S3 refused ${op} on ${where} (${code}, HTTP ${status ?? '?'}): check the credentials (AWS_ACCESS_KEY_ID, ` +
            `AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and that they may ${op === 'PutObject' || op === 'DeleteObject' ? `s3:${op}` : 's3:GetObject'} on this bucket`,
          { cause: err, details: { uri, key, bucket: this.bucket, reason: 'access-denied', operation: op, code, status } },
        );
      }
      throw err;
    }
  }
}
