/**
 * {@link DeploymentStore} as one small JSON file. A save writes a temporary file beside it,
 * fsyncs it, renames it over the old one and fsyncs the directory, so a crash (even
 * `kill -9` mid-write) leaves either the previous or the new state, never a torn file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { deploymentRecordSchema, type DeploymentRecord, type DeploymentStore } from './deployment-store';

const fileSchema = z.object({ format: z.literal(1), deployments: z.array(deploymentRecordSchema) });

export class FileDeploymentStore implements DeploymentStore {
  constructor(readonly path: string) {}

  async load(): Promise<DeploymentRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let parsed: z.infer<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (err) {
      // Starting empty would let the next admin write erase every other model's deployment.
      throw new ConfigError(`deployment state ${this.path} is unreadable (${(err as Error).message}); fix or remove it (SLIPWAY_SERVE_STATE_PATH)`, {
        cause: err,
        details: { path: this.path },
      });
    }
    return parsed.deployments;
  }

  async save(records: DeploymentRecord[]): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${basename(this.path)}.${randomUUID()}.tmp`);
    const body = JSON.stringify({ format: 1, deployments: records }, null, 2) + '\n';
    try {
      // 0600: the file holds the deployments' secret routing salts.
      const file = await open(tmp, 'wx', 0o600);
      try {
        await file.writeFile(body, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDirectory(dir);
  }
}

/** Makes the rename durable; some filesystems refuse to open a directory, which is then best effort. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on some platforms: the rename is still atomic, only its durability is weaker.
  } finally {
    await handle?.close();
  }
}
