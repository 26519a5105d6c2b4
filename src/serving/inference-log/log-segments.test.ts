import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogSegments, trimTornTail } from './log-segments';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'slipway-log-segments-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('write-ahead segments', () => {
  it('cuts a torn last line and keeps every complete one', async () => {
    const file = join(await tmp(), 's.ndjson');
    await writeFile(file, '{"a":1}\n{"a":2}\n{"a":');
    expect(await trimTornTail(file)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    await writeFile(file, '{"a":');
    expect(await trimTornTail(file)).toBe(false);
  });

  it('seals a segment when its window ends or it is full, and lists what a dead process left', async () => {
    const dir = await tmp();
    const segments = new LogSegments(dir, 1000, 3);
    await segments.append(new Map([['delays', ['{"r":1}']], ['churn', ['{"r":1}', '{"r":2}', '{"r":3}']]]), 0);
    const full = await segments.sealDue(10);
    expect(full.map((s) => s.model)).toEqual(['churn']);
    expect(await segments.sealDue(999)).toEqual([]);
    const late = await segments.sealDue(1000);
    expect(late.map((s) => s.model)).toEqual(['delays']);
    // A fresh instance (a restarted process) finds both files, with the model names decoded.
    expect((await new LogSegments(dir, 1000, 3).leftovers()).map((s) => s.model).sort()).toEqual(['churn', 'delays']);
  });
});
