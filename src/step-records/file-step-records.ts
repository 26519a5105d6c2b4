/** {@link StepRecords} as one JSON file per key in a local folder. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RecordedStep, StepRecords } from './step-records';

export class FileStepRecords implements StepRecords {
  /** Shard folders known to exist, so a put costs a write and a rename, not a mkdir as well. */
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {}

  async get(key: string): Promise<RecordedStep | undefined> {
    try {
      const record = JSON.parse(await readFile(this.file(key), 'utf8')) as { key: string; output: RecordedStep };
      return record.key === key ? record.output : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(key: string, output: RecordedStep): Promise<void> {
    const file = this.file(key);
    const dir = path.dirname(file);
    if (!this.made.has(dir)) await this.makeDir(dir);
    // Write-then-rename: a reader sees the old record or the new one, never half of one.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const text = JSON.stringify({ key, output });
    await writeFile(tmp, text).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await this.makeDir(dir); // the folder went away since we made it
      await writeFile(tmp, text);
    });
    await rename(tmp, file);
  }

  private async makeDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }

  private file(key: string): string {
    const digest = createHash('sha256').update(key).digest('hex');
    return path.join(this.root, digest.slice(0, 2), `${digest}.json`);
  }
}
