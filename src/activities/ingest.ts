/**
 * ingest: DuckDB reads the source within the time window, derives the features and the
 * label, splits train/holdout deterministically, and stores both as Parquet snapshots.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { queryRows, sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import { detectFormat, readerSql, resolveSourcePath } from '../data/source-path';
import { DataSourceError } from '../errors';
import type { IngestParams } from '../pipeline/step-params';
import type { StepOutput } from '../pipeline/types';

export interface IngestDeps {
  store: ArtifactStore;
  duckdbThreads: number;
}

const PARQUET = 'application/vnd.apache.parquet';

const TRANSFORMS: Record<IngestParams['features'][number]['transform'], (col: string) => string> = {
  identity: (c) => c,
  double: (c) => `CAST(${c} AS DOUBLE)`,
  hour: (c) => `hour(CAST(${c} AS TIMESTAMP))`,
  weekday: (c) => `dayofweek(CAST(${c} AS TIMESTAMP))`,
  month: (c) => `month(CAST(${c} AS TIMESTAMP))`,
  day: (c) => `day(CAST(${c} AS TIMESTAMP))`,
};

const LABEL_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' } as const;

export async function ingestSnapshot(deps: IngestDeps, params: IngestParams, stepId: string): Promise<StepOutput> {
  const file = resolveSourcePath(params.source.path);
  const format = detectFormat(file, params.source.format);
  const scratch = await deps.store.scratchDir(`ingest-${stepId}`);
  try {
    const stats = await withDuckDb({ threads: deps.duckdbThreads }, async (conn) => {
      await loadRows(conn, params, file, format);
      const trainPath = path.join(scratch, 'train.parquet');
      const holdoutPath = path.join(scratch, 'holdout.parquet');
      await conn.run(`COPY (SELECT * EXCLUDE (is_holdout) FROM rows WHERE NOT is_holdout) TO ${sqlString(trainPath)} (FORMAT parquet, COMPRESSION zstd)`);
      await conn.run(`COPY (SELECT * EXCLUDE (is_holdout) FROM rows WHERE is_holdout) TO ${sqlString(holdoutPath)} (FORMAT parquet, COMPRESSION zstd)`);
      return { trainPath, holdoutPath, ...(await describeRows(conn, params.label.name)) };
    });
    const schema = stats.schema;
    const label = params.label.name;
    const features = params.features.map((f) => f.name);
    const train = await deps.store.put(
      stats.trainPath,
      { name: 'train', mediaType: PARQUET, meta: { rows: stats.train.rows, positiveRate: stats.train.positiveRate, schema, label, features } },
      { move: true },
    );
    const holdout = await deps.store.put(
      stats.holdoutPath,
      { name: 'holdout', mediaType: PARQUET, meta: { rows: stats.holdout.rows, positiveRate: stats.holdout.positiveRate, schema, label, features } },
      { move: true },
    );
    const dataDigest = createHash('sha256').update(`${train.sha256}:${holdout.sha256}`).digest('hex');
    return {
      artifacts: { train, holdout },
      summary: {
        source: params.source.path,
        window: params.window,
        dataDigest,
        trainRows: stats.train.rows,
        holdoutRows: stats.holdout.rows,
        trainPositiveRate: stats.train.positiveRate,
        holdoutPositiveRate: stats.holdout.positiveRate,
        holdoutFrom: stats.holdoutFrom,
        label,
        features,
      },
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function loadRows(conn: DuckDBConnection, params: IngestParams, file: string, format: ReturnType<typeof detectFormat>): Promise<void> {
  const time = `CAST(${sqlIdent(params.timeColumn)} AS TIMESTAMP)`;
  const where: string[] = [];
  if (params.window.from) where.push(`${time} >= TIMESTAMP ${sqlString(params.window.from)}`);
  if (params.window.to) where.push(`${time} < TIMESTAMP ${sqlString(params.window.to)}`);
  const features = params.features.map((f) => `${TRANSFORMS[f.transform](sqlIdent(f.column))} AS ${sqlIdent(f.name)}`);
  const l = params.label;
  const labelExpr = `CAST(${sqlIdent(l.column)} ${LABEL_OPS[l.op]} ${l.value} AS INTEGER) AS ${sqlIdent(l.name)}`;
  try {
    await conn.run(`CREATE TEMP TABLE source_rows AS
      SELECT ${features.join(', ')}, ${labelExpr}, ${time} AS event_time
      FROM ${readerSql(file, format, sqlString)}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`);
  } catch (err) {
    throw new DataSourceError(`source.path: cannot read ${format} source "${file}": ${firstLine(err)}`, { cause: err, details: { file } });
  }
  const [{ n }] = (await queryRows(conn, 'SELECT count(*) AS n FROM source_rows')) as [{ n: number }];
  if (n === 0) {
    const window = `${params.window.from ?? 'the beginning'} to ${params.window.to ?? 'the end'}`;
    throw new DataSourceError(`window: no rows in "${file}" from ${window} (column ${params.timeColumn})`, { details: { file, window: params.window } });
  }
  const f = params.split.holdoutFraction;
  const holdoutExpr =
    params.split.strategy === 'time'
      ? // The newest rows are held out, as they would be in production: train on the past, test on the future.
        `event_time >= (SELECT quantile_disc(event_time, ${1 - f}) FROM source_rows)`
      : // Hash of the whole row: the same row always lands on the same side, whatever else is in the file.
        `(hash(${['event_time', ...params.features.map((x) => sqlIdent(x.name))].join(', ')}) % 10000) < ${Math.round(f * 10000)}`;
  await conn.run(`CREATE TEMP TABLE rows AS SELECT *, ${holdoutExpr} AS is_holdout FROM source_rows`);
  await conn.run('DROP TABLE source_rows');
}

async function describeRows(conn: DuckDBConnection, label: string) {
  const schema = (await queryRows(conn, 'DESCRIBE SELECT * EXCLUDE (is_holdout) FROM rows')).map((r) => ({
    name: String(r.column_name),
    type: String(r.column_type),
  }));
  const splits = await queryRows(
    conn,
    `SELECT is_holdout, count(*) AS rows, avg(${sqlIdent(label)}) AS positive_rate, min(event_time) AS first
     FROM rows GROUP BY is_holdout`,
  );
  const split = (holdout: boolean) => {
    const s = splits.find((r) => r.is_holdout === holdout);
    return { rows: Number(s?.rows ?? 0), positiveRate: s?.positive_rate == null ? null : Number(s.positive_rate) };
  };
  return {
    schema,
    train: split(false),
    holdout: split(true),
    holdoutFrom: splits.find((r) => r.is_holdout === true)?.first ?? null,
  };
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}
