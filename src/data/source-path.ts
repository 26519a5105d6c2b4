/**
 * Source locations in pipeline specs: plain paths and globs, or `package:<pkg>/<file>` for
 * data shipped inside an installed npm package (the flights data comes from vega-datasets).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataSourceError } from '../errors';

export type SourceFormat = 'parquet' | 'csv' | 'json' | 'ndjson';

export function resolveSourcePath(spec: string, cwd = process.cwd()): string {
  const match = /^package:((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(spec);
  if (!match) return path.resolve(cwd, spec);
  const [, pkg, rest] = match;
  // Packages with an `exports` map may not export package.json, so look for the folder itself.
  const searchPaths = [...(require.resolve.paths(pkg) ?? []), path.join(cwd, 'node_modules')];
  const root = searchPaths.map((p) => path.join(p, pkg)).find((dir) => existsSync(path.join(dir, 'package.json')));
  if (!root) {
    throw new DataSourceError(`source.path: package "${pkg}" is not installed (from "${spec}"); run npm install`);
  }
  const resolved = path.resolve(root, rest);
  if (!resolved.startsWith(root + path.sep)) {
    throw new DataSourceError(`source.path: "${spec}" points outside package "${pkg}"`);
  }
  return resolved;
}

export function detectFormat(file: string, declared: 'auto' | SourceFormat): SourceFormat {
  if (declared !== 'auto') return declared;
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.csv') || lower.endsWith('.csv.gz')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  throw new DataSourceError(
    `source.format: cannot tell the format of "${file}" from its name; set format to parquet, csv, json or ndjson`,
  );
}

/** The DuckDB table function call that reads the source. */
export function readerSql(file: string, format: SourceFormat, quote: (s: string) => string): string {
  switch (format) {
    case 'parquet':
      return `read_parquet(${quote(file)})`;
    case 'csv':
      return `read_csv(${quote(file)}, auto_detect = true, header = true)`;
    case 'json':
      return `read_json(${quote(file)}, format = 'auto')`;
    case 'ndjson':
      return `read_json(${quote(file)}, format = 'newline_delimited')`;
  }
}
