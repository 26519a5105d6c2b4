/**
 * ingest: DuckDB reads the source files within the time window (or replay window), derives the
 * features and the label, splits train/holdout deterministically, and stores both as Parquet snapshots.
 *
 * It fails (DataSourceError) only when no snapshot can be made: no file, an unreadable or empty
 * file, a column the spec reads is missing, no rows in the window. Everything else (values that
 * do not convert, nulls, odd distributions) is recorded in the snapshots' meta and judged by the
 * validate step, which knows the schema and the reference data.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { queryRows, sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import type { DataRoots } from '../data/data-roots';
import { withSourceSession } from '../data/open-source';
import { isRemoteAccessError } from '../data/remote-source';
import { servedLogFiles, servedRelationSql } from '../data/served-source';
import { toMs } from '../duration/duration';
import { sourceRelation } from '../data/source-select';
import { detectFormat, effectiveWindow, readerSql, resolveSourcePath, type SourceFormat, type TimeWindow } from '../data/source-path';
import { inferClasses, labelSql } from '../data/label-sql';
import { DataSourceError } from '../errors';
import { labelTask, resolveLabel, type LabelDefinition } from '../pipeline/label-spec';
import type { IngestParams } from '../pipeline/step-params';
import type { StepOutputBody } from '../pipeline/types';
import { typeFamily, type ColumnType } from '../validation/column-types';
import type { ConversionFailure, SnapshotMeta } from '../validation/snapshot-meta';
import { activitySignal } from './heartbeat';

export interface IngestDeps {
  store: ArtifactStore;
  duckdbThreads: number;
  /** Where sources may be read from: nothing outside is opened. */
  dataRoots: DataRoots;
  /** The inference log's folder, for `source.served`; undefined: served sources fail with DataSourceError. */
  inferenceLogDir?: string;
  /** Epoch-ms clock that ends a served source's window. @default Date.now */
  now?: () => number;
}

const PARQUET = 'application/vnd.apache.parquet';

const TIME_PARTS = { hour: 'hour', weekday: 'dayofweek', month: 'month', day: 'day' } as const;

/** A derived snapshot column: its SQL, and the source value it converts (when conversion can fail). */
interface Derived {
  name: string;
  sql: string;
  /** Source expression whose non-null values must not turn null; absent when the cast cannot fail. */
  raw?: string;
  column: string;
}

export async function ingestSnapshot(deps: IngestDeps, params: IngestParams, stepId: string): Promise<StepOutputBody<'ingest'>> {
  const served = params.source.served;
  const pattern = served ? params.source.path : resolveSourcePath(params.source.path);
  const format = served ? 'parquet' : detectFormat(pattern, params.source.format);
  const window = effectiveWindow(params.window, params.source.replay);
  const scratch = await deps.store.scratchDir(`ingest-${stepId}`);
  try {
    const duckdb = { threads: deps.duckdbThreads, signal: activitySignal() };
    let snap;
    if (served) {
      // The model's windows overlapping the last `window`, each verified against its sha256 by the store.
      const until = (deps.now ?? Date.now)();
      const from = until - toMs(served.window);
      const files = await servedLogFiles(deps.inferenceLogDir, deps.store, served.model, from, until);
      const reader = servedRelationSql(files, from, until);
      snap = await withDuckDb(duckdb, (conn) => writeSnapshots(conn, params, { pattern, files, remote: false, format, window, scratch, reader }));
    } else {
      // Before DuckDB reads anything: the real files inside the data roots, or allowed remote objects; a bounded number of them.
      snap = await withSourceSession(params.source.path, deps.dataRoots, duckdb, (conn, source) =>
        writeSnapshots(conn, params, { pattern, files: source.files, remote: source.remote, format, window, scratch }),
      );
    }
    const label = params.label.name;
    const task = labelTask(params.label);
    const features = params.features.map((f) => f.name);
    const meta = (split: { rows: number; positiveRate: number | null }): SnapshotMeta => ({
      ...split,
      schema: snap.schema,
      label,
      features,
      timeColumn: params.timeColumn ?? null,
      transforms: Object.fromEntries(params.features.map((f) => [f.name, f.transform])),
      source: { path: params.source.path, format, files: snap.files, columns: snap.sourceColumns, ...(params.source.select === undefined ? {} : { select: params.source.select }) },
      conversionFailures: snap.conversionFailures,
      rowsWithoutTime: snap.rowsWithoutTime,
      sourceRows: snap.sourceRows,
      // Binary snapshots carry no task field, so their meta (and every digest over it) is as before.
      ...(task === 'binary' ? {} : { task }),
      ...(snap.classes ? { classes: snap.classes } : {}),
    });
    // The label's source values (say, the delay behind `delay > 15`), counted per value and slice:
    // what validation needs to see labels rewritten to one value, which the 0/1 label hides.
    const labelSource = snap.labelSource
      ? {
          column: snap.labelSource.column,
          slices: snap.labelSource.slices,
          comparison: snap.labelSource.comparison,
          counts: await deps.store.put(snap.labelSource.path, { name: 'label-source-counts', mediaType: PARQUET }, { move: true }),
        }
      : undefined;
    const withSource = (m: SnapshotMeta): SnapshotMeta => (labelSource ? { ...m, labelSource } : m);
    const train = await deps.store.put(snap.trainPath, { name: 'train', mediaType: PARQUET, meta: { ...withSource(meta(snap.train)) } }, { move: true });
    const holdout = await deps.store.put(snap.holdoutPath, { name: 'holdout', mediaType: PARQUET, meta: { ...withSource(meta(snap.holdout)) } }, { move: true });
    const dataDigest = createHash('sha256').update(`${train.sha256}:${holdout.sha256}`).digest('hex');
    return {
      // The counts are also referenced from the snapshots' meta; listed here so they are a visible output of the step.
      artifacts: { train, holdout, ...(labelSource ? { 'label-source-counts': labelSource.counts } : {}) },
      summary: {
        source: params.source.path,
        sourceFiles: snap.files,
        ...(params.source.select === undefined ? {} : { select: params.source.select }),
        window,
        ...(params.source.replay ? { replay: params.source.replay } : {}),
        dataDigest,
        trainRows: snap.train.rows,
        holdoutRows: snap.holdout.rows,
        trainPositiveRate: snap.train.positiveRate,
        holdoutPositiveRate: snap.holdout.positiveRate,
        holdoutFrom: snap.holdoutFrom,
        label,
        features,
        conversionFailures: Object.keys(snap.conversionFailures).length,
      },
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface Where {
  pattern: string;
  /** Real paths of the files to read, checked by confineSource, or allowed object URLs. */
  files: string[];
  /** Remote objects: a read error names the URL and the HTTP status, never what the server sent. */
  remote: boolean;
  format: SourceFormat;
  window: TimeWindow;
  scratch: string;
  /** The relation to read instead of the files' reader (a served source's merged log rows). */
  reader?: string;
}

async function writeSnapshots(conn: DuckDBConnection, params: IngestParams, where: Where) {
  const files = where.reader ?? readerSql(where.files, where.format, sqlString);
  const fail = (err: unknown): never => {
    // A failed request is reported by withSourceSession, which knows its HTTP status.
    if (where.remote && isRemoteAccessError(err)) throw err;
    throw new DataSourceError(`source.path: cannot read ${where.format} source "${where.pattern}": ${duckdbMessage(err)}. ${HINTS[where.format]}`, {
      cause: err,
      details: { file: where.pattern },
    });
  };
  const reader = await sourceRelation(conn, params.source.select, files);
  // With a select, a file that cannot be read is the source's fault, a query that does not bind the select's.
  if (reader !== files) await describe(conn, `SELECT * FROM ${files}`).catch(fail);
  const sourceColumns = await describe(conn, `SELECT * FROM ${reader}`).catch((err: unknown): never => {
    if (reader === files) fail(err);
    throw new DataSourceError(`source.select: DuckDB cannot run it over "${where.pattern}": ${duckdbMessage(err)}`, { cause: err, details: { file: where.pattern } });
  });
  requireColumns(params, sourceColumns, where.pattern);
  const types = new Map(sourceColumns.map((c) => [c.name, c.type]));
  // Without a time column there is no event_time: no window, every row in, and a hash split.
  const hasTime = params.timeColumn !== undefined;
  const time = hasTime ? deriveTime(params.timeColumn!, types.get(params.timeColumn!)!) : NO_TIME;
  const labelDef = resolveLabel(params.label);
  const derived = [...params.features.map((f) => deriveFeature(f, types.get(f.column)!)), deriveLabel(labelDef, types.get(labelDef.column)!)];
  const select = [...derived.map((d) => `${d.sql} AS ${sqlIdent(d.name)}`), ...(hasTime ? [`${time.sql} AS event_time`] : [])].join(', ');
  const inWindow = [hasTime ? `${time.sql} IS NOT NULL` : 'true'];
  if (where.window.from) inWindow.push(`${time.sql} >= TIMESTAMP ${sqlString(where.window.from)}`);
  if (where.window.to) inWindow.push(`${time.sql} < TIMESTAMP ${sqlString(where.window.to)}`);

  // One scan for the counts, the time split's boundary and the values that did not convert.
  const checked = [...derived, { ...time, name: 'event_time' }].filter((d) => d.raw !== undefined);
  const f = params.split.holdoutFraction;
  // Unparseable times are counted over the whole source: such rows cannot be placed in any window.
  const scope = (d: Derived) => (d.name === 'event_time' ? 'true' : '__w');
  const perCheck = checked.map((d, i) => {
    const bad = `${scope(d)} AND __r${i} IS NOT NULL AND __d${i} IS NULL`;
    return `, count(*) FILTER (WHERE ${scope(d)}) AS n${i}, count(*) FILTER (WHERE ${bad}) AS bad${i}, min(CAST(__r${i} AS VARCHAR)) FILTER (WHERE ${bad}) AS ex${i}`;
  });
  const [stats] = await queryRows(
    conn,
    `SELECT count(*) AS total, count(*) FILTER (WHERE __t IS NULL) AS no_time, min(__t) AS first, max(__t) AS last,
       count(*) FILTER (WHERE __w) AS rows, quantile_disc(__t, ${1 - f}) FILTER (WHERE __w) AS boundary ${perCheck.join('')}
     FROM (SELECT ${time.sql} AS __t, ${inWindow.join(' AND ')} AS __w${checked.map((d, i) => `, ${d.raw} AS __r${i}, ${d.sql} AS __d${i}`).join('')}
           FROM ${reader})`,
  ).catch(fail);
  const rows = Number(stats.rows);
  if (rows === 0) throw noRows(params, where, Number(stats.total), stats);
  const conversionFailures: Record<string, ConversionFailure> = {};
  checked.forEach((d, i) => {
    const count = Number(stats[`bad${i}`]);
    if (count > 0) conversionFailures[d.name] = { column: d.column, count, rows: Number(stats[`n${i}`]), example: String(stats[`ex${i}`]) };
  });

  const holdout =
    params.split.strategy === 'time'
      ? // The newest rows are held out, as they would be in production: train on the past, test on the future.
        `event_time >= TIMESTAMP ${sqlString(String(stats.boundary))}`
      : // Hash of the whole row: the same row always lands on the same side, whatever else is in the file.
        `(hash(${hashedColumns(params, hasTime).join(', ')}) % 10000) < ${Math.round(f * 10000)}`;
  const trainPath = path.join(where.scratch, 'train.parquet');
  const holdoutPath = path.join(where.scratch, 'holdout.parquet');
  // Straight from the reader to the file: no temp table, and rows keep the source's order.
  const copy = (predicate: string, file: string) =>
    conn.run(`COPY (SELECT * FROM (SELECT ${select} FROM ${reader} WHERE ${inWindow.join(' AND ')}) WHERE ${predicate})
      TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
  await copy(`NOT (${holdout})`, trainPath).catch(fail);
  await copy(holdout, holdoutPath).catch(fail);
  const labelSourcePath = path.join(where.scratch, 'label-source.parquet');
  const labelSource = labelSourceQuery(params, labelDef, types, derived, reader, inWindow.join(' AND '));
  if (labelSource) await conn.run(`COPY (${labelSource.sql}) TO ${sqlString(labelSourcePath)} (FORMAT parquet, COMPRESSION zstd)`).catch(fail);

  const label = sqlIdent(params.label.name);
  // The positive rate is a binary label's; other tasks record their classes (multiclass) instead.
  const positiveRate = labelDef.task === 'binary' ? `avg(${label})` : 'NULL';
  const splits = await queryRows(
    conn,
    `SELECT filename = ${sqlString(holdoutPath)} AS is_holdout, count(*) AS rows, ${positiveRate} AS positive_rate, ${hasTime ? 'min(event_time)' : 'NULL'} AS first
     FROM read_parquet([${sqlString(trainPath)}, ${sqlString(holdoutPath)}], filename = true) GROUP BY ALL`,
  );
  const split = (isHoldout: boolean) => {
    const s = splits.find((r) => r.is_holdout === isHoldout);
    return { rows: Number(s?.rows ?? 0), positiveRate: s?.positive_rate == null ? null : Number(s.positive_rate) };
  };
  return {
    files: where.files.length,
    sourceColumns,
    schema: await describe(conn, `SELECT * FROM read_parquet(${sqlString(trainPath)})`),
    conversionFailures,
    rowsWithoutTime: hasTime ? Number(stats.no_time) : 0,
    sourceRows: Number(stats.total),
    trainPath,
    holdoutPath,
    ...(labelSource && labelDef.task === 'binary' && labelDef.kind === 'compare'
      ? { labelSource: { path: labelSourcePath, column: labelDef.column, slices: labelSource.slices, comparison: { op: labelDef.op, value: labelDef.value } } }
      : {}),
    train: split(false),
    holdout: split(true),
    holdoutFrom: splits.find((r) => r.is_holdout === true)?.first ?? null,
    // Pinned classes are the spec's; otherwise the training snapshot's, sorted (the model's class order).
    classes: labelDef.task !== 'multiclass' ? undefined : (labelDef.classes ?? (await inferClasses(conn, `read_parquet(${sqlString(trainPath)})`, params.label.name))),
  };
}

/** The time of a source without a time column: never read (no window, no time split). */
const NO_TIME: Derived = { name: 'event_time', sql: 'CAST(NULL AS TIMESTAMP)', column: '' };

/**
 * What the hash split hashes: the row as the snapshot has it. With a time column, its time and the
 * features (as since the hash split existed, so existing splits stay put); without one, the features and the label.
 */
function hashedColumns(params: IngestParams, hasTime: boolean): string[] {
  const features = params.features.map((x) => sqlIdent(x.name));
  return hasTime ? ['event_time', ...features] : [...features, sqlIdent(params.label.name)];
}

const HINTS: Record<SourceFormat, string> = {
  parquet: 'Is the file complete Parquet (not truncated or still being written)? Re-export it',
  csv: 'Check the delimiter, quoting and header line, or set source.format',
  json: 'Check that the file is one JSON array of objects, or set source.format: ndjson',
  ndjson: 'Check that every line is one JSON object',
};

async function describe(conn: DuckDBConnection, sql: string): Promise<ColumnType[]> {
  return (await queryRows(conn, `DESCRIBE ${sql}`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** Every column the spec reads must exist; the message says which field names it and what the source has. */
function requireColumns(params: IngestParams, columns: ColumnType[], source: string): void {
  const [field, what] = params.source.select === undefined ? ['source.path', `"${source}"`] : ['source.select', `the result of source.select over "${source}"`];
  const have = new Set(columns.map((c) => c.name));
  const wanted: Array<[string, string]> = [
    ...(params.timeColumn === undefined ? [] : [['timeColumn', params.timeColumn] as [string, string]]),
    ...params.features.map((f, i): [string, string] => [`features[${i}].column`, f.column]),
    ['label.column', resolveLabel(params.label).column],
  ];
  const missing = wanted.filter(([, column]) => !have.has(column));
  if (missing.length === 0) return;
  const list = missing.map(([field, column]) => `${field} "${column}"`).join(', ');
  throw new DataSourceError(
    `${field}: ${what} has no column ${list}; its columns are ${columns.map((c) => c.name).join(', ')}. Fix the source or the spec`,
    { details: { file: source, missing: missing.map(([, c]) => c) } },
  );
}

function deriveTime(column: string, type: string): Derived {
  const raw = sqlIdent(column);
  if (typeFamily(type) === 'temporal') return { name: 'event_time', sql: `CAST(${raw} AS TIMESTAMP)`, column };
  return { name: 'event_time', sql: `TRY_CAST(${raw} AS TIMESTAMP)`, raw, column };
}

function deriveFeature(f: IngestParams['features'][number], type: string): Derived {
  const raw = sqlIdent(f.column);
  const exact = { name: f.name, column: f.column };
  const family = typeFamily(type);
  if (f.transform === 'identity') return { ...exact, sql: raw };
  if (f.transform === 'double') {
    return family === 'numeric' ? { ...exact, sql: `CAST(${raw} AS DOUBLE)` } : { ...exact, sql: `TRY_CAST(${raw} AS DOUBLE)`, raw };
  }
  const part = TIME_PARTS[f.transform];
  return family === 'temporal'
    ? { ...exact, sql: `${part}(CAST(${raw} AS TIMESTAMP))` }
    : { ...exact, sql: `${part}(TRY_CAST(${raw} AS TIMESTAMP))`, raw };
}

function deriveLabel(label: LabelDefinition, type: string): Derived {
  return { name: label.name, column: label.column, ...labelSql(label, type) };
}

/** Time parts are categorical features (validation slices them value by value). */
const CATEGORICAL_TRANSFORMS = new Set(['hour', 'weekday', 'month', 'day']);

/**
 * Counts of the label's numeric source value, in the whole window and per value of each
 * categorical feature: `column` ('' for the whole window), `value`, `source`, `n`. Only for a
 * label that compares a numeric source column with a number: that is where a rewritten value
 * hides behind an ordinary-looking 0/1.
 */
function labelSourceQuery(params: IngestParams, l: LabelDefinition, types: Map<string, string>, derived: Derived[], reader: string, inWindow: string): { sql: string; slices: string[] } | undefined {
  if (l.task !== 'binary' || l.kind !== 'compare') return undefined;
  const type = types.get(l.column)!;
  const src = typeFamily(type) === 'numeric' ? `CAST(${sqlIdent(l.column)} AS DOUBLE)` : `TRY_CAST(${sqlIdent(l.column)} AS DOUBLE)`;
  const sliced = params.features
    .map((f, i) => ({ f, d: derived[i] }))
    .filter(({ f }) => CATEGORICAL_TRANSFORMS.has(f.transform) || (f.transform === 'identity' && typeFamily(types.get(f.column)!) !== 'numeric'));
  const cols = sliced.map((_, j) => `s${j}`);
  const columnName = sliced.length ? `CASE ${sliced.map(({ f }, j) => `WHEN GROUPING(s${j}) = 0 THEN ${sqlString(f.name)}`).join(' ')} ELSE '' END` : `''`;
  // Grouped on the features' own types (hashing text for every row doubles the cost), named as text after.
  const value = sliced.length ? `CASE ${sliced.map((_, j) => `WHEN GROUPING(s${j}) = 0 THEN CAST(s${j} AS VARCHAR)`).join(' ')} ELSE '' END` : `''`;
  const sql = `SELECT ${columnName} AS "column", ${value} AS "value", sv AS "source", count(*) AS n
    FROM (SELECT ${[...sliced.map(({ d }, j) => `${d.sql} AS s${j}`), `${src} AS sv`].join(', ')} FROM ${reader} WHERE ${inWindow})
    WHERE sv IS NOT NULL AND isfinite(sv)
    GROUP BY GROUPING SETS ((sv)${cols.map((c) => `, (${c}, sv)`).join('')})`;
  return { sql, slices: sliced.map(({ f }) => f.name) };
}

function noRows(params: IngestParams, where: Where, total: number, stats: Record<string, unknown>): DataSourceError {
  if (total === 0 && params.source.select !== undefined) {
    return new DataSourceError(`source.select: its result over "${where.pattern}" has no rows; check its WHERE clause`, { details: { file: where.pattern } });
  }
  if (total === 0) {
    return new DataSourceError(`source.path: "${where.pattern}" has no rows (it is empty apart from its header or schema)`, { details: { file: where.pattern } });
  }
  const window = params.source.replay
    ? `${where.window.from} to ${where.window.to} (replay now ${params.source.replay.now}, window ${params.source.replay.window})`
    : `${params.window.from ?? 'the beginning'} to ${params.window.to ?? 'the end'}`;
  const span = stats.first == null ? `none of its ${total} rows has a valid time` : `its times span ${stats.first} to ${stats.last}`;
  return new DataSourceError(`window: no rows in "${where.pattern}" from ${window} (column ${params.timeColumn}); ${span}`, {
    details: { file: where.pattern, window: where.window },
  });
}

/**
 * DuckDB's message without the SQL excerpt it appends, and without the source line it quotes on a
 * parse error (`Original Line: …`): step errors are shown to every viewer, and a row of data is
 * not theirs to see; the line number and the expected shape are enough to find it.
 */
function duckdbMessage(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const lines = text.split(/\n\s*\nLINE \d+:/)[0].split('\n').filter((line) => !/^\s*Original Line:/i.test(line));
  return lines.slice(0, 3).join(' ').trim().replace(/\.$/, '');
}
