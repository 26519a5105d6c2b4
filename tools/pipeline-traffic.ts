/**
 * Live traffic for any pipeline's model: the rows of its ingest step's source, with the features
 * derived as ingest derives them and the label compiled by the same label SQL (src/data/label-sql.ts),
 * so a replay posts the task's own ground truth: 0/1, a class name, or the true value. The sibling
 * of `loadFlightTraffic` (replay-traffic.ts) for every task; send the result with `replayTraffic`.
 * Local and `package:` sources without a `select` only: a replay reads files a test or a demo holds.
 */
import { queryRows, sqlIdent, sqlString, withDuckDb } from '../src/data/duckdb';
import { labelSql } from '../src/data/label-sql';
import { detectFormat, readerSql, resolveSourcePath } from '../src/data/source-path';
import { resolveLabel } from '../src/pipeline/label-spec';
import type { IngestParams } from '../src/pipeline/step-params';
import type { FeatureRow } from '../src/serving/loaded-model';
import { typeFamily } from '../src/validation/column-types';
import type { FeedbackLabel, Traffic } from './replay-traffic';

/** Options of {@link loadPipelineTraffic}. */
export interface PipelineTrafficOptions {
  /** The parsed `with` of the pipeline's ingest step (its source, time column, features and label). */
  ingest: IngestParams;
  /** Rows with `from <= time < to` (the ingest's `timeColumn`), e.g. a holdout period. @default every row */
  from?: string;
  to?: string;
  /** Most rows, in time order. @default every row */
  limit?: number;
}

// The ingest step's time parts (src/activities/ingest.ts), as integers like the snapshot's.
const TIME_PARTS = { hour: 'hour', weekday: 'dayofweek', month: 'month', day: 'day' } as const;

function featureSql(f: IngestParams['features'][number], type: string): string {
  const raw = sqlIdent(f.column);
  if (f.transform === 'identity') return raw;
  if (f.transform === 'double') return typeFamily(type) === 'numeric' ? `CAST(${raw} AS DOUBLE)` : `TRY_CAST(${raw} AS DOUBLE)`;
  return `${TIME_PARTS[f.transform]}(TRY_CAST(${raw} AS TIMESTAMP))::INTEGER`;
}

/**
 * The source's rows with a label, in time order, as the model sees them, each with its true label.
 * @throws Error naming the field when the source is remote, has a `select`, or lacks a column.
 */
export async function loadPipelineTraffic(options: PipelineTrafficOptions): Promise<Traffic> {
  const { ingest } = options;
  const path = ingest.source.path;
  if (!path || ingest.source.select || ingest.source.served) throw new Error('ingest.source: traffic replays read a plain path or package: file (no select, no served log)');
  const file = resolveSourcePath(path);
  const reader = readerSql(file, detectFormat(file, ingest.source.format), sqlString);
  return withDuckDb({}, async (conn) => {
    const types = new Map((await queryRows(conn, `DESCRIBE SELECT * FROM ${reader}`)).map((c) => [String(c.column_name), String(c.column_type)]));
    const typeOf = (field: string, column: string) => {
      const type = types.get(column);
      if (type === undefined) throw new Error(`${field}: the source has no column "${column}"; its columns are ${[...types.keys()].join(', ')}`);
      return type;
    };
    const definition = resolveLabel(ingest.label);
    const label = labelSql(definition, typeOf('label.column', definition.column));
    const columns = ingest.features.map((f) => `${featureSql(f, typeOf(`features.${f.name}`, f.column))} AS ${sqlIdent(f.name)}`);
    const time = ingest.timeColumn ? `TRY_CAST(${sqlIdent(ingest.timeColumn)} AS TIMESTAMP)` : undefined;
    const where = [`(${label.sql}) IS NOT NULL`];
    if (time && options.from) where.push(`${time} >= ${sqlString(options.from)}`);
    if (time && options.to) where.push(`${time} < ${sqlString(options.to)}`);
    if (!time && (options.from || options.to)) throw new Error('from/to: the pipeline has no timeColumn to window by');
    const limit = options.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(options.limit))}` : '';
    const rows = await queryRows(
      conn,
      `SELECT ${columns.join(', ')}, ${label.sql} AS "__label" FROM ${reader} WHERE ${where.join(' AND ')} ${time ? `ORDER BY ${time}` : ''} ${limit}`,
    );
    return {
      rows: rows.map(({ __label: _label, ...features }) => features as FeatureRow),
      labels: rows.map((r) => r.__label as FeedbackLabel),
    };
  });
}

/** `traffic` repeated `times` over, for replays that must outlast the source (a canary of unknown length). */
export function repeatTraffic(traffic: Traffic, times: number): Traffic {
  const n = Math.max(1, Math.floor(times));
  return { rows: Array.from({ length: n }, () => traffic.rows).flat(), labels: Array.from({ length: n }, () => traffic.labels).flat() };
}
