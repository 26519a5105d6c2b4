import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confineSource, SOURCE_LIMIT_DEFAULTS, sourceOutsideRoots, type DataRoots } from './data-roots';

describe('data roots', () => {
  let dir: string;
  let root: string;
  let roots: DataRoots;
  const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: Error) => e.message);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-roots-'));
    root = path.join(dir, 'sources');
    await mkdir(path.join(root, 'daily'), { recursive: true });
    for (const day of ['01', '02', '03']) await writeFile(path.join(root, 'daily', `d-${day}.csv`), 'x\n1\n');
    await writeFile(path.join(dir, 'secret.csv'), 'password\nhunter2\n');
    await symlink(path.join(dir, 'secret.csv'), path.join(root, 'link-to-secret.csv'));
    await symlink(dir, path.join(root, 'link-to-parent'));
    roots = { roots: [root], ...SOURCE_LIMIT_DEFAULTS };
  });
  afterAll(() => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

  it('resolves a glob inside a root to its real files, in name order', async () => {
    const out = await confineSource(path.join(root, 'daily', '*.csv'), roots);
    expect(out.relative).toEqual(['d-01.csv', 'd-02.csv', 'd-03.csv']);
    expect(out.files.every((f) => f.startsWith(root))).toBe(true);
  });

  it.each([
    ['an absolute path outside', () => '/etc/passwd'],
    ['a relative path climbing out', () => path.join(root, '..', 'secret.csv')],
    ['a glob of the whole filesystem', () => '/**/*.csv'],
  ])('refuses %s on the path alone', async (_name, source) => {
    expect(await refusal(confineSource(source(), roots))).toMatch(/outside the data roots .*SLIPWAY_DATA_ROOTS/);
    expect(sourceOutsideRoots(source(), roots.roots)).toMatch(/outside the data roots/);
  });

  it('refuses a symlinked file whose target is outside', async () => {
    expect(sourceOutsideRoots(path.join(root, 'link-to-secret.csv'), roots.roots)).toBeUndefined();
    expect(await refusal(confineSource(path.join(root, 'link-to-secret.csv'), roots))).toMatch(/through a symbolic link outside the data roots/);
  });

  it('refuses a path through a symlinked folder that leads outside', async () => {
    expect(await refusal(confineSource(path.join(root, 'link-to-parent', 'secret.csv'), roots))).toMatch(/through a symbolic link outside/);
  });

  it('refuses a glob whose match is a symlink leading outside', async () => {
    expect(await refusal(confineSource(path.join(root, '*.csv'), roots))).toMatch(/through the symbolic link link-to-secret.csv outside/);
  });

  it('bounds the files a glob may match and the entries it may visit', async () => {
    expect(await refusal(confineSource(path.join(root, 'daily', '*.csv'), { ...roots, maxFiles: 2 }))).toMatch(
      /matches more than 2 files \(limit SLIPWAY_SOURCE_MAX_FILES\)/,
    );
    expect(await refusal(confineSource(path.join(root, '**', '*.csv'), { ...roots, maxWalkEntries: 3 }))).toMatch(
      /visits more than 3 files and folders \(limit SLIPWAY_SOURCE_MAX_WALK\)/,
    );
  });

  it('allows a package source inside its package, whatever the roots', async () => {
    const out = await confineSource('package:vega-datasets/data/flights-3m.parquet', { ...roots, roots: [] });
    expect(out.files).toHaveLength(1);
  });
});
