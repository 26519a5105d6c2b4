/**
 * Seals a write-ahead segment into a Parquet window: DuckDB reads the JSON lines and writes
 * Parquet (zstd), the file goes into the artifact store, the manifest indexes it, and only then
 * is the segment deleted. Each step can be repeated after a crash: the store dedupes by content
 * and the manifest by segment name.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactStore } from '../../artifacts/artifact-store';
import { queryRows, sqlString, withDuckDb } from '../../data/duckdb';
import type { LogManifest, LogWindow } from './log-manifest';
import { trimTornTail, type SealedSegment } from './log-segments';

const PARQUET = 'application/vnd.apache.parquet';

/**
 * The columns of every window, whatever its model; `features` is a struct of the model's features.
 * A window of response and label halves only has no features to type (DuckDB would make the column
 * JSON, and a reader's union of windows then cannot unnest it): it is written without the column,
 * and readers (union_by_name) see NULLs of the other windows' struct type.
 */
const columns = (withFeatures: boolean) => `request_id::VARCHAR AS request_id, "row"::INTEGER AS "row", make_timestamp(served_at::BIGINT * 1000) AS served_at,
  model::VARCHAR AS model, version::INTEGER AS version, protocol::VARCHAR AS protocol, source::VARCHAR AS source,
  ${withFeatures ? 'features, ' : ''}prediction::VARCHAR AS prediction, label::VARCHAR AS label`;

/** Writes the segment's window; undefined when the segment held no complete line (it is removed). */
export async function sealSegment(seg: SealedSegment, store: ArtifactStore, manifest: LogManifest): Promise<LogWindow | undefined> {
  const name = path.basename(seg.file);
  if (await manifest.has(name)) {
    await rm(seg.file, { force: true });
    return undefined;
  }
  if (!(await trimTornTail(seg.file))) {
    await rm(seg.file, { force: true });
    return undefined;
  }
  const scratch = await store.scratchDir('inference-log');
  try {
    const out = path.join(scratch, 'window.parquet');
    const facts = await withDuckDb({ threads: 1 }, async (conn) => {
      // The whole file is sampled for types: a feature that is null in the first rows must not become JSON.
      const reader = `read_json(${sqlString(seg.file)}, format = 'newline_delimited', sample_size = -1, maximum_object_size = 16777216)`;
      const types = await queryRows(conn, `DESCRIBE SELECT features FROM ${reader}`);
      const withFeatures = String(types[0]?.column_type ?? '').startsWith('STRUCT');
      await conn.run(`COPY (SELECT ${columns(withFeatures)} FROM ${reader} ORDER BY served_at, request_id, "row") TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
      const [row] = await queryRows(conn, `SELECT count(*) AS rows, epoch_ms(min(served_at)) AS first, epoch_ms(max(served_at)) AS last FROM read_parquet(${sqlString(out)})`);
      return { rows: Number(row.rows), from: new Date(Number(row.first)).toISOString(), to: new Date(Number(row.last)).toISOString(), features: withFeatures };
    });
    const ref = await store.put(out, { name: 'inference-log', mediaType: PARQUET, meta: { model: seg.model, ...facts } }, { move: true });
    const window: LogWindow = { segment: name, model: seg.model, ...facts, ref };
    await manifest.append(window);
    await rm(seg.file, { force: true });
    return window;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
