/**
 * Data roots: the folders pipeline sources may read (SLIPWAY_DATA_ROOTS), so a spec cannot turn
 * the worker into a reader of any file it can open (issue 13, item 5). A source resolves to real
 * files (symlinks resolved) that must lie inside a root, or inside the installed package a
 * `package:` source names. A path outside is refused before anything under it is opened or listed,
 * and globs are expanded by a bounded walk of our own, not by DuckDB's unbounded one.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { DataSourceError } from '../errors';
import type { RemoteSources } from './remote-sources-config';
import { isRemoteSource } from './remote-url';
import { resolvePackageSource } from './source-path';

/** Where sources may come from and how much a glob may touch. */
export interface DataRoots {
  /** Absolute folders; a source's real path must be one of them or lie below one. */
  readonly roots: readonly string[];
  /** Most files one source may match. @default 10000 */
  readonly maxFiles: number;
  /** Most directory entries one glob expansion may visit. @default 200000 */
  readonly maxWalkEntries: number;
  /** Buckets and hosts remote sources may name, and how to read them; unset: no remote source is allowed. */
  readonly remote?: RemoteSources;
}

export const SOURCE_LIMIT_DEFAULTS = { maxFiles: 10_000, maxWalkEntries: 200_000 } as const;

const GLOB_CHARS = /[*?[]/;

/** The files a source matches: real paths in name order, and each one's path relative to the glob's base (hive partitions are data). */
export interface ConfinedSource {
  files: string[];
  relative: string[];
}

/**
 * Resolves a spec's `source.path` to the files it reads, all inside the data roots.
 * @throws DataSourceError when the path is outside every root (before anything there is opened),
 *   a symlink leads outside, a glob matches nothing or too much, or a file is missing or empty.
 */
export async function confineSource(spec: string, dataRoots: DataRoots, cwd = process.cwd()): Promise<ConfinedSource> {
  const pkg = resolvePackageSource(spec, cwd);
  const fromPackage = pkg !== undefined;
  const resolved = pkg?.file ?? path.resolve(cwd, spec);
  // A package source is confined to its own package folder: code an admin installed, data shipped with it.
  const roots = pkg ? [pkg.root] : dataRoots.roots.map((r) => path.resolve(cwd, r));
  const glob = resolved.search(GLOB_CHARS);
  const base = glob < 0 ? resolved : path.dirname(`${resolved.slice(0, glob)}x`);
  if (!roots.some((root) => isInside(base, root))) throw outside(spec, roots, fromPackage);
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
  const realBase = await realpath(base).catch(() => undefined);
  if (!realBase) {
    throw glob < 0
      ? new DataSourceError(`source.path: file "${base}" does not exist (from "${spec}")`, { details: { file: base } })
      : new DataSourceError(`source.path: no file matches "${spec}" (resolved to ${resolved})`, { details: { file: resolved } });
  }
  if (!realRoots.some((root) => isInside(realBase, root))) throw outside(spec, roots, fromPackage, 'through a symbolic link ');
  if (glob < 0) {
    await requireFile(realBase, spec);
    return { files: [realBase], relative: [path.basename(resolved)] };
  }
  const relative = await walkGlob(realBase, path.relative(base, resolved), spec, dataRoots);
  if (relative.length === 0) throw new DataSourceError(`source.path: no file matches "${spec}" (resolved to ${resolved})`, { details: { file: resolved } });
  const files: string[] = [];
  for (const rel of relative) {
    const real = await realpath(path.join(realBase, rel));
    // A symlinked file inside a root may point anywhere: the file's real path is what must be inside.
    if (!realRoots.some((root) => isInside(real, root))) throw outside(spec, roots, fromPackage, `through the symbolic link ${rel} `);
    await requireFile(real, spec);
    files.push(real);
  }
  return { files, relative };
}

/** Parses SLIPWAY_DATA_ROOTS (comma-separated folders), resolving relative ones against `cwd`. */
export function parseDataRoots(value: string, cwd = process.cwd()): string[] {
  return value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => path.resolve(cwd, r));
}

/**
 * Why `spec` is outside the data roots, judged on the path alone (no file is touched), or
 * undefined when it may be inside. The API uses it to answer 400 before starting a run; the
 * worker then resolves symlinks with {@link confineSource}.
 */
export function sourceOutsideRoots(spec: string, roots: readonly string[], cwd = process.cwd()): string | undefined {
  // Remote URLs: the spec schema refuses credentials in them; the worker checks the allow-list before any request.
  if (spec.startsWith('package:') || isRemoteSource(spec)) return undefined;
  const resolved = path.resolve(cwd, spec);
  const glob = resolved.search(GLOB_CHARS);
  const base = glob < 0 ? resolved : path.dirname(`${resolved.slice(0, glob)}x`);
  const absoluteRoots = roots.map((r) => path.resolve(cwd, r));
  return absoluteRoots.some((root) => isInside(base, root)) ? undefined : outside(spec, absoluteRoots, false).message;
}

function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function outside(spec: string, roots: readonly string[], fromPackage: boolean, how = ''): DataSourceError {
  const where = fromPackage ? `its package folder ${roots[0]}` : `the data roots (${roots.join(', ') || 'none configured'})`;
  return new DataSourceError(
    `source.path: "${spec}" leads ${how}outside ${where}; put the data under a data root, or ask an admin to add its folder to SLIPWAY_DATA_ROOTS`,
    { details: { file: spec, reason: 'outside-data-roots' } },
  );
}

async function requireFile(file: string, spec: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new DataSourceError(`source.path: file "${file}" does not exist (from "${spec}")`, { details: { file } });
  if (!info.isFile()) throw new DataSourceError(`source.path: "${file}" is not a file (from "${spec}")`, { details: { file } });
  if (info.size === 0) {
    throw new DataSourceError(`source.path: file "${file}" is empty (0 bytes); re-export it or remove it from the source`, { details: { file } });
  }
}

/**
 * Paths (relative to `base`, `/`-separated, sorted) matching `pattern`. Breadth-first, never
 * following symlinked folders (a loop or a link to `/` would make the walk unbounded), no deeper
 * than the pattern reaches when it has no `**`, and stopping at the entry and file limits.
 */
async function walkGlob(base: string, pattern: string, spec: string, limits: DataRoots): Promise<string[]> {
  const posixPattern = pattern.split(path.sep).join('/');
  const isMatch = picomatch(posixPattern, { dot: false });
  const maxDepth = posixPattern.includes('**') ? Infinity : posixPattern.split('/').length;
  const matches: string[] = [];
  let visited = 0;
  const queue: Array<{ rel: string; depth: number }> = [{ rel: '', depth: 0 }];
  while (queue.length > 0) {
    const { rel, depth } = queue.shift()!;
    const entries = await readdir(path.join(base, rel), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (++visited > limits.maxWalkEntries) {
        throw new DataSourceError(
          `source.path: "${spec}" visits more than ${limits.maxWalkEntries} files and folders (limit SLIPWAY_SOURCE_MAX_WALK); narrow the glob`,
          { details: { file: spec, limit: 'maxWalkEntries' } },
        );
      }
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory() && depth + 1 < maxDepth) queue.push({ rel: child, depth: depth + 1 });
      else if ((entry.isFile() || entry.isSymbolicLink()) && isMatch(child)) {
        // A symlinked file counts (its real path is checked against the roots); a link to a folder does not.
        if (entry.isSymbolicLink() && !(await stat(path.join(base, child)).catch(() => undefined))?.isFile()) continue;
        matches.push(child);
        if (matches.length > limits.maxFiles) {
          throw new DataSourceError(`source.path: "${spec}" matches more than ${limits.maxFiles} files (limit SLIPWAY_SOURCE_MAX_FILES); narrow the glob or merge the files`, {
            details: { file: spec, limit: 'maxFiles' },
          });
        }
      }
    }
  }
  return matches.sort();
}
