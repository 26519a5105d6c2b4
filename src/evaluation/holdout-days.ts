/**
 * The day (UTC) of every holdout row, in file order, for the champion comparison within days
 * (`comparison.stratify: day`). The ingest step writes the time column as `event_time`.
 */
import { sqlString, withDuckDb } from '../data/duckdb';
import { readAllColumns } from '../training/duckdb-columns';

/** Days since 1970-01-01 per row (−1 where `event_time` is null), or undefined when the holdout has no `event_time`. */
export async function readHoldoutDays(parquetPath: string): Promise<Int32Array | undefined> {
  return withDuckDb({}, async (conn) => {
    const source = `read_parquet(${sqlString(parquetPath)})`;
    const columns = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson().map((r) => String(r.column_name));
    if (!columns.includes('event_time')) return undefined;
    const count = Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${source}`)).getRowsJson()[0][0]);
    // A plain projection keeps file order, the order the models' scores come in.
    const result = await conn.stream(`SELECT coalesce(datediff('day', DATE '1970-01-01', CAST(event_time AS DATE)), -1)::INTEGER AS day FROM ${source}`);
    const [days] = await readAllColumns(result, [{ name: 'day', kind: 'int32' }], count);
    return days as Int32Array;
  });
}
