/**
 * Builds the artifact store the configuration asks for: the local folder by default, or an
 * S3-compatible bucket (SLIPWAY_ARTIFACT_URL=s3://bucket/prefix) with `artifactRoot` as its
 * verified local cache. The worker and the model server both build theirs here.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';
import type { ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';
import { S3ArtifactStore } from './s3-artifact-store';

export function createArtifactStore(config: Pick<Readonly<Config>, 'artifactRoot' | 'artifacts'>): ArtifactStore {
  const s3 = config.artifacts.s3;
  if (!s3) return new LocalArtifactStore({ root: config.artifactRoot });
  const client = new S3Client({
    // An S3-compatible server ignores the region but the SDK insists on one.
    region: s3.region ?? (s3.endpoint ? 'us-east-1' : undefined),
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    // We send our own sha256 checksum; the SDK's default CRC32 trailers are not understood by
    // every S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return new S3ArtifactStore({ client, bucket: s3.bucket, prefix: s3.prefix, cacheRoot: config.artifactRoot });
}
