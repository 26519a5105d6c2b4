/**
 * The index of the inference log's Parquet windows: `<dir>/windows.ndjson`, one JSON line per
 * window (model, time range, rows, the artifact ref), appended and fsynced after the window is in
 * the artifact store and before its segment is deleted. The artifact store is content-addressed and
 * cannot be listed by model or time; this file is how a reader (the served-data source) finds a
 * model's windows. Each line names the segment it came from, so a segment sealed again after a
 * crash between the append and the delete is not indexed twice.
 */
import { appendFile, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactRef } from '../../pipeline/types';

/** One Parquet window of one model's logged traffic. */
export interface LogWindow {
  /** File name of the write-ahead segment it was made from. */
  segment: string;
  model: string;
  /** ISO times of the first and last row served. */
  from: string;
  to: string;
  rows: number;
  /** False when the window holds only response and label halves (no features column); absent in older lines: true. */
  features?: boolean;
  ref: ArtifactRef;
}

export const MANIFEST_FILE = 'windows.ndjson';

export class LogManifest {
  private indexed: Promise<Set<string>> | undefined;

  constructor(private readonly dir: string) {}

  /** True when the segment's window is already indexed. */
  async has(segment: string): Promise<boolean> {
    return (await this.segments()).has(segment);
  }

  async append(window: LogWindow): Promise<void> {
    const file = path.join(this.dir, MANIFEST_FILE);
    await appendFile(file, `${JSON.stringify(window)}\n`);
    const handle = await open(file, 'r+');
    await handle.datasync().finally(() => handle.close());
    (await this.segments()).add(window.segment);
  }

  private segments(): Promise<Set<string>> {
    this.indexed ??= readWindows(this.dir).then((ws) => new Set(ws.map((w) => w.segment)));
    return this.indexed;
  }
}

/**
 * The windows indexed under `dir`, optionally only one model's overlapping [from, to).
 * A torn last line (a crash mid-append: the window was not acknowledged) is skipped.
 */
export async function readWindows(dir: string, filter?: { model: string; from?: number; to?: number }): Promise<LogWindow[]> {
  const text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const windows: LogWindow[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    let w: LogWindow;
    try {
      w = JSON.parse(line) as LogWindow;
    } catch {
      continue;
    }
    if (filter) {
      if (w.model !== filter.model) continue;
      if (filter.from !== undefined && Date.parse(w.to) < filter.from) continue;
      if (filter.to !== undefined && Date.parse(w.from) >= filter.to) continue;
    }
    windows.push(w);
  }
  return windows;
}
