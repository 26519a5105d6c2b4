/**
 * Source locations in pipeline specs: plain paths and globs, or `package:<pkg>/<file>` for
 * data shipped inside an installed npm package (the flights data comes from vega-datasets);
 * the files a location matches; the DuckDB reader over them; and the time window a step reads,
 * including replay windows (a virtual "now" and a window length).
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ACCEPTED_DURATION_FORMS, durationProblem, toMs } from '../duration/duration';
import { DataSourceError } from '../errors';
import { queryRows, sqlString } from './duckdb';

export type SourceFormat = 'parquet' | 'csv' | 'json' | 'ndjson';

const GLOB_CHARS = /[*?[]/;

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

/**
 * The files a resolved path or glob matches, in name order (the order DuckDB reads them in).
 * @throws DataSourceError when nothing matches or a matched file is empty (0 bytes).
 */
export async function listSourceFiles(conn: DuckDBConnection, resolved: string, spec = resolved): Promise<string[]> {
  let files: string[];
  if (GLOB_CHARS.test(resolved)) {
    // DuckDB's own glob, so the list is exactly what its readers would expand.
    files = (await queryRows(conn, `SELECT file FROM glob(${sqlString(resolved)})`)).map((r) => String(r.file)).sort();
    if (files.length === 0) throw new DataSourceError(`source.path: no file matches "${spec}" (resolved to ${resolved})`, { details: { file: resolved } });
  } else {
    files = [resolved];
  }
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    if (!info) throw new DataSourceError(`source.path: file "${file}" does not exist (from "${spec}")`, { details: { file } });
    if (!info.isFile()) throw new DataSourceError(`source.path: "${file}" is not a file (from "${spec}")`, { details: { file } });
    if (info.size === 0) {
      throw new DataSourceError(`source.path: file "${file}" is empty (0 bytes); re-export it or remove it from the source`, { details: { file } });
    }
  }
  return files;
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
