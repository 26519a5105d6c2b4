/**
 * Streaming sha256 helpers. Artifacts can be hundreds of megabytes, so files are hashed in
 * chunks and never held in memory whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** The digest and size of some bytes. */
export interface Digest {
  /** Lowercase hex sha256. */
  sha256: string;
  bytes: number;
}

// Larger than the 64 KiB default: fewer syscalls and hash updates on big model files.
const CHUNK_BYTES = 1024 * 1024;

export function sha256OfBytes(bytes: Uint8Array): Digest {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}

export async function sha256OfFile(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Copies `source` to a new file `dest` (which must not exist), hashing the bytes as they
 * are written, and flushes `dest` to disk before returning. The digest describes exactly what
 * landed in `dest`, even if `source` changed while it was being read.
 */
export async function copyHashing(source: string, dest: string): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  const out = await open(dest, 'wx', 0o644);
  try {
    for await (const chunk of createReadStream(source, { highWaterMark: CHUNK_BYTES })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      await writeAll(out, buf);
      bytes += buf.byteLength;
    }
    // Without the flush, a power cut after the rename could leave an empty file under the final name.
    await out.sync();
  } finally {
    await out.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Writes `bytes` to a new file `dest` (which must not exist) and flushes it to disk. */
export async function writeNewFile(dest: string, bytes: Uint8Array): Promise<void> {
  const out = await open(dest, 'wx', 0o644);
  try {
    await writeAll(out, bytes);
    await out.sync();
  } finally {
    await out.close();
  }
}

async function writeAll(out: FileHandle, buf: Uint8Array): Promise<void> {
  // write() may accept fewer bytes than offered; loop until the chunk is fully on its way.
  let offset = 0;
  while (offset < buf.byteLength) {
    const { bytesWritten } = await out.write(buf, offset, buf.byteLength - offset);
    offset += bytesWritten;
  }
}
