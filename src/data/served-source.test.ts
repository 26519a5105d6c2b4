import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sqlString, withDuckDb } from './duckdb';
import { labelledServedSql, servedRelationSql, type ServedLabelTask } from './served-source';

/** Epoch ms of the test's served times: minute i after a fixed instant. */
const at = (i: number) => Date.UTC(2026, 0, 1, 0, i);
let dir: string;
let files: string[];

/**
 * Two log windows as the inference log writes them: predictions with features (and one label
 * written with its request), and a later window of label halves only (no features column).
 */
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-served-source-'));
  files = [path.join(dir, 'requests.parquet'), path.join(dir, 'labels.parquet')];
  const ts = (i: number) => `make_timestamp(${at(i)}::BIGINT * 1000)`;
  const request = (id: string, i: number, distance: number, label: string | null) =>
    `SELECT '${id}' AS request_id, 0 AS "row", ${ts(i)} AS served_at, 'm' AS model, 1 AS version, 'v1' AS protocol, 'server' AS source, {'distance': ${distance}::DOUBLE, 'origin': 'ATL'} AS features, '0.5' AS prediction, ${label === null ? 'NULL::VARCHAR' : sqlString(label)} AS label`;
  const labelHalf = (id: string, i: number, label: string) =>
    `SELECT '${id}' AS request_id, 0 AS "row", ${ts(i)} AS served_at, 'm' AS model, 1 AS version, 'feedback' AS protocol, 'server' AS source, NULL::VARCHAR AS prediction, ${sqlString(label)} AS label`;
  await withDuckDb({ threads: 1 }, async (conn) => {
    const requests = [request('a', 3, 300, null), request('b', 1, 100, '0'), request('c', 2, 200, null), request('d', 4, 400, null), request('e', 30, 3000, null)];
    await conn.run(`COPY (${requests.join(' UNION ALL ')}) TO ${sqlString(files[0])} (FORMAT parquet)`);
    // a: 1; c: not labelled; d: a label that is no binary class; e: labelled but outside the window; f: a label without a logged prediction.
    const labels = [labelHalf('a', 3, '1'), labelHalf('d', 4, '"rain"'), labelHalf('e', 30, '1'), labelHalf('f', 5, '0')];
    await conn.run(`COPY (${labels.join(' UNION ALL ')}) TO ${sqlString(files[1])} (FORMAT parquet)`);
  });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const read = (task: ServedLabelTask, label = 'y') =>
  withDuckDb({ threads: 1 }, (conn) => queryRows(conn, labelledServedSql(files, label, task, at(0), at(10))));

describe('labelledServedSql', () => {
  it('gives the labelled predictions of the window in served order, features as columns and the 0/1 label under the given name', async () => {
    const rows = await read('binary', 'delayed');
    expect(rows).toEqual([
      { distance: 100, origin: 'ATL', delayed: 0 },
      { distance: 300, origin: 'ATL', delayed: 1 },
    ]);
  });

  it('never reads a logged feature named like the label (or like its own columns) as the label: the feedback label wins', async () => {
    const rows = await read('binary', 'origin');
    expect(rows).toEqual([
      { distance: 100, origin: 0 },
      { distance: 300, origin: 1 },
    ]);
  });

  it('reads a multiclass label as its class name and a regression label as a number', async () => {
    expect((await read('multiclass')).map((r) => r.y)).toEqual(['0', '1', 'rain']);
    expect((await read('regression')).map((r) => [r.distance, r.y])).toEqual([[100, 0], [300, 1]]);
  });
});

describe('servedRelationSql', () => {
  it('keeps the feedback label under `label` when a caller logged a feature named label', async () => {
    const file = path.join(dir, 'spoofed.parquet');
    const rows = await withDuckDb({ threads: 1 }, async (conn) => {
      await conn.run(`COPY (
          SELECT 's' AS request_id, 0 AS "row", make_timestamp(${at(1)}::BIGINT * 1000) AS served_at, 'm' AS model, 1 AS version, 'v1' AS protocol, 'server' AS source,
            {'distance': 5::DOUBLE, 'label': 1::DOUBLE, 'prediction': 0.9::DOUBLE} AS features, '0.2' AS prediction, '0' AS label
        ) TO ${sqlString(file)} (FORMAT parquet)`);
      return queryRows(conn, `SELECT label, prediction, distance FROM ${servedRelationSql([file])}`);
    });
    expect(rows).toEqual([{ label: 0, prediction: '0.2', distance: 5 }]);
  });
});
