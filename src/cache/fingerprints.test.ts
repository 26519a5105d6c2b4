import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepRequest } from '../pipeline/types';
import { createChampionFingerprint } from './champion-fingerprint';
import { SOURCE_LIMIT_DEFAULTS } from '../data/data-roots';
import { createSourceFingerprint } from './source-fingerprint';
import { createTrainerFingerprint } from './trainer-fingerprint';
import { Uncacheable } from './uncacheable';

const req = { ctx: { model: 'm' } } as StepRequest;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-fp-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('source fingerprint (ingest)', () => {
  const fingerprint = createSourceFingerprint({ roots: [os.tmpdir()], ...SOURCE_LIMIT_DEFAULTS });
  const of = (p: string, format = 'auto') => fingerprint(req, { source: { path: p, format } });

  it('is the content digest: a renamed copy matches, an edited file does not', async () => {
    await writeFile(path.join(dir, 'a.csv'), 'x,y\n1,2\n');
    await writeFile(path.join(dir, 'b.csv'), 'x,y\n1,2\n');
    const a = await of(path.join(dir, 'a.csv'));
    expect(a).toEqual({ format: 'csv', files: [expect.stringMatching(/^[0-9a-f]{64}$/)] });
    expect(await of(path.join(dir, 'b.csv'))).toEqual(a);
    await writeFile(path.join(dir, 'a.csv'), 'x,y\n1,3\n');
    expect(await of(path.join(dir, 'a.csv'))).not.toEqual(a);
  });

  it('ignores a touch that leaves the bytes alone', async () => {
    const file = path.join(dir, 'a.csv');
    await writeFile(file, 'x,y\n1,2\n');
    const before = await of(file);
    await utimes(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await of(file)).toEqual(before);
  });

  it('lists a glob as DuckDB does, keeping paths relative to the glob, since partitions can be data', async () => {
    await mkdir(path.join(dir, 'day=1'));
    await mkdir(path.join(dir, 'day=2'));
    await writeFile(path.join(dir, 'day=1', 'part.csv'), 'x\n1\n');
    await writeFile(path.join(dir, 'day=2', 'part.csv'), 'x\n2\n');
    const fp = (await of(path.join(dir, '*', '*.csv'), 'csv')) as { files: Array<[string, string]> };
    expect(fp.files.map(([p]) => p)).toEqual([path.join('day=1', 'part.csv'), path.join('day=2', 'part.csv')]);
    await writeFile(path.join(dir, 'day=2', 'part.csv'), 'x\n3\n');
    expect(await of(path.join(dir, '*', '*.csv'), 'csv')).not.toEqual(fp);
  });

  it('leaves a missing source uncached, for the ingest to report', async () => {
    expect(await of(path.join(dir, 'nope.csv'))).toBeInstanceOf(Uncacheable);
    expect(await of(path.join(dir, '*.parquet'))).toBeInstanceOf(Uncacheable);
    expect(await fingerprint(req, { source: { replay: {} } })).toBeInstanceOf(Uncacheable);
  });

  it('never hashes a source outside the data roots', async () => {
    const outside = (await of('/etc/passwd', 'csv')) as Uncacheable;
    expect(outside).toBeInstanceOf(Uncacheable);
    expect(outside.reason).toMatch(/outside the data roots/);
  });
});

describe('trainer fingerprint (train)', () => {
  it('is the built-in trainer version for builtin', async () => {
    const fp = createTrainerFingerprint({ builtinVersion: '1.2.3' });
    expect(await fp(req, { trainer: 'builtin' })).toEqual({ trainer: 'builtin', version: '1.2.3' });
  });

  it('keys a warm-started built-in fit by the champion it starts from, and only a warm-started one', async () => {
    let champion = 3;
    const fp = createTrainerFingerprint({ builtinVersion: '1.2.3', champion: async () => ({ champion: { version: champion } }) });
    const warm = { trainer: 'builtin', params: { warmStart: true } };
    const first = await fp(req, warm);
    expect(first).toEqual({ trainer: 'builtin', version: '1.2.3', warmStart: { champion: { version: 3 } } });
    champion = 4;
    expect(await fp(req, warm)).not.toEqual(first);
    expect(await fp(req, { trainer: 'builtin', params: { warmStart: false } })).toEqual({ trainer: 'builtin', version: '1.2.3' });
  });

  it('covers a command trainer script and its sibling modules, not placeholders', async () => {
    await mkdir(path.join(dir, 'trainers'));
    await writeFile(path.join(dir, 'trainers', 'train.py'), 'import estimators\n');
    await writeFile(path.join(dir, 'trainers', 'estimators.py'), 'C = 1\n');
    await writeFile(path.join(dir, 'trainers', 'README.md'), 'docs\n');
    const fp = createTrainerFingerprint({ builtinVersion: '1', cwd: dir });
    const params = { trainer: 'command', command: ['python3', 'trainers/train.py', '--request', '{request}'] };
    const first = (await fp(req, params)) as { code: Array<Record<string, string>> };
    expect(Object.keys(first.code[0]).sort()).toEqual(['estimators.py', 'train.py']);
    await writeFile(path.join(dir, 'trainers', 'README.md'), 'more docs\n');
    expect(await fp(req, params)).toEqual(first);
    await writeFile(path.join(dir, 'trainers', 'estimators.py'), 'C = 2\n');
    expect(await fp(req, params)).not.toEqual(first);
  });
});

describe('champion fingerprint (validate, evaluate)', () => {
  it('names the model and its champion version and model digest, or null', async () => {
    const champion = { version: 3, artifact: { sha256: 'f'.repeat(64) } };
    const fp = createChampionFingerprint({ getAlias: async (model) => (model === 'm' ? (champion as never) : undefined) });
    expect(await fp(req)).toEqual({ model: 'm', champion: { version: 3, sha256: 'f'.repeat(64) } });
    expect(await fp({ ctx: { model: 'other' } } as StepRequest)).toEqual({ model: 'other', champion: null });
  });
});
