/**
 * Source locations in pipeline specs: plain paths and globs, `package:<pkg>/<file>` for
 * data shipped inside an installed npm package, or remote URLs (src/data/remote-url.ts) (the flights data comes from vega-datasets);
 * the files a location matches; the DuckDB reader over them; and the time window a step reads,
 * including replay windows (a virtual "now" and a window length).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ACCEPTED_DURATION_FORMS, durationProblem, toMs } from '../duration/duration';
import { DataSourceError } from '../errors';
import { isRemoteSource } from './remote-url';

export type SourceFormat = 'parquet' | 'csv' | 'json' | 'ndjson';

export function resolveSourcePath(spec: string, cwd = process.cwd()): string {
  if (isRemoteSource(spec)) return spec;
  return resolvePackageSource(spec, cwd)?.file ?? path.resolve(cwd, spec);
}

/** A `package:<pkg>/<file>` source's package folder and file; undefined for other sources. */
export function resolvePackageSource(spec: string, cwd = process.cwd()): { root: string; file: string } | undefined {
  const match = /^package:((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(spec);
  if (!match) return undefined;
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
  return { root, file: resolved };
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

/** The DuckDB table function call that reads the source: one file or a list of files. */
export function readerSql(files: string | string[], format: SourceFormat, quote: (s: string) => string): string {
  const list = Array.isArray(files) ? files : [files];
  const arg = list.length === 1 ? quote(list[0]) : `[${list.map(quote).join(', ')}]`;
  // Partitions written at different times may order or add columns differently: match them by name.
  const byName = list.length > 1 ? ', union_by_name = true' : '';
  switch (format) {
    case 'parquet':
      return `read_parquet(${arg}${byName})`;
    case 'csv':
      return `read_csv(${arg}, auto_detect = true, header = true${byName})`;
    case 'json':
      return `read_json(${arg}, format = 'auto'${byName})`;
    case 'ndjson':
      return `read_json(${arg}, format = 'newline_delimited'${byName})`;
  }
}

/** A time window, `from` inclusive and `to` exclusive; either end may be open. */
export interface TimeWindow {
  from?: string;
  to?: string;
}

/** Milliseconds of a replay window such as `7 days` or `12 hours`; a bad one names the field and the accepted forms. */
function replayWindowMs(text: string): number {
  const problem = durationProblem(text);
  if (problem !== undefined) throw new DataSourceError(`replay.window: "${text}" is not a duration: ${problem}; expected ${ACCEPTED_DURATION_FORMS}`);
  return toMs(text);
}

/** Parses the spec's ISO dates (`2001-03-08`, `2001-03-08 12:00`, `2001-03-08T12:00:00Z`) as UTC wall time. */
export function parseTimestamp(text: string): number {
  const iso = text.includes('T') || text.includes(' ') ? text.replace(' ', 'T') : `${text}T00:00:00`;
  const ms = Date.parse(/Z$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(ms)) throw new DataSourceError(`window: "${text}" is not a valid date`);
  return ms;
}

/** A DuckDB TIMESTAMP literal's text for a UTC wall time: `2001-03-08 12:00:00`. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/Z$/, '');
}

/**
 * The window a step reads: `window`, intersected with the replay window `[now - size, now)`
 * when a replay is given. Bounds come back normalised (`YYYY-MM-DD HH:MM:SS`).
 */
export function effectiveWindow(window: TimeWindow, replay?: { now: string; window: string }): TimeWindow {
  let from = window.from === undefined ? undefined : parseTimestamp(window.from);
  let to = window.to === undefined ? undefined : parseTimestamp(window.to);
  if (replay) {
    const now = parseTimestamp(replay.now);
    const start = now - replayWindowMs(replay.window);
    from = from === undefined ? start : Math.max(from, start);
    to = to === undefined ? now : Math.min(to, now);
  }
  return {
    ...(from === undefined ? {} : { from: formatTimestamp(from) }),
    ...(to === undefined ? {} : { to: formatTimestamp(to) }),
  };
}
