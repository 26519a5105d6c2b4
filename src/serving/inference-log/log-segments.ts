/**
 * The write-ahead segments of the inference log: one open file per model, JSON lines appended and
 * fsynced (`datasync`) before a batch counts as acknowledged. A segment is sealed (closed and handed
 * to the Parquet writer) when its window ends or it holds enough rows; whatever segments a killed
 * process left are found at start and sealed then, so an acknowledged batch survives a crash.
 *
 * ```
 * <dir>/segments/<hex of model>/<start ms>-<random>.ndjson
 * ```
 * A process killed mid-write may leave a torn last line, which was never acknowledged:
 * {@link trimTornTail} cuts it before the segment is read.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, stat, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** A segment that will take no more lines. */
export interface SealedSegment {
  model: string;
  file: string;
  /** Epoch ms of the first append (from the name, for leftovers). */
  openedAt: number;
}

interface OpenSegment extends SealedSegment {
  handle: FileHandle;
  rows: number;
}

export class LogSegments {
  private readonly open = new Map<string, OpenSegment>();

  constructor(
    private readonly dir: string,
    /** Window length: a segment older than this is sealed. */
    private readonly windowMs: number,
    /** Rows after which a segment is sealed early. */
    private readonly maxRows: number,
  ) {}

  /** Appends each model's lines to its segment and fsyncs them; resolves once they are durable. */
  async append(byModel: Map<string, string[]>, now: number): Promise<void> {
    await Promise.all(
      [...byModel].map(async ([model, lines]) => {
        const seg = await this.segmentFor(model, now);
        await seg.handle.write(`${lines.join('\n')}\n`);
        await seg.handle.datasync();
        seg.rows += lines.length;
      }),
    );
  }

  /** Closes and returns the segments whose window ended or that are full (all of them with `all`). */
  async sealDue(now: number, all = false): Promise<SealedSegment[]> {
    const due = [...this.open.values()].filter((s) => all || now - s.openedAt >= this.windowMs || s.rows >= this.maxRows);
    // Out of the map before the first await, so a concurrent append opens a fresh segment instead.
    for (const s of due) this.open.delete(s.model);
    await Promise.all(due.map((s) => s.handle.close()));
    return due.map(({ model, file, openedAt }) => ({ model, file, openedAt }));
  }

  /** Segments left by an earlier process (none of them open here), oldest first. */
  async leftovers(): Promise<SealedSegment[]> {
    const root = path.join(this.dir, 'segments');
    const models = await readdir(root).catch(() => [] as string[]);
    const found: SealedSegment[] = [];
    for (const hex of models) {
      for (const name of await readdir(path.join(root, hex)).catch(() => [] as string[])) {
        if (!name.endsWith('.ndjson')) continue;
        const file = path.join(root, hex, name);
        if ([...this.open.values()].some((s) => s.file === file)) continue;
        found.push({ model: Buffer.from(hex, 'hex').toString('utf8'), file, openedAt: Number(name.split('-')[0]) || 0 });
      }
    }
    return found.sort((a, b) => a.openedAt - b.openedAt);
  }

  private async segmentFor(model: string, now: number): Promise<OpenSegment> {
    const current = this.open.get(model);
    if (current) return current;
    const folder = path.join(this.dir, 'segments', Buffer.from(model, 'utf8').toString('hex'));
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, `${now}-${randomBytes(4).toString('hex')}.ndjson`);
    const seg: OpenSegment = { model, file, openedAt: now, handle: await open(file, 'a'), rows: 0 };
    // A new file's directory entry must be durable too, or a crash could lose the whole file.
    const dirHandle = await open(folder, 'r');
    await dirHandle.sync().finally(() => dirHandle.close());
    this.open.set(model, seg);
    return seg;
  }
}

/**
 * Cuts a torn last line (a write the process died in, never acknowledged). Returns false when
 * nothing is left.
 */
export async function trimTornTail(file: string): Promise<boolean> {
  const { size } = await stat(file);
  if (size === 0) return false;
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep < size) await truncate(file, keep);
        return keep > 0;
      }
      end = start;
    }
    await truncate(file, 0);
    return false;
  } finally {
    await handle.close();
  }
}
