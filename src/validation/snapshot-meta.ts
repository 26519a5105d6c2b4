/**
 * What ingest records about a snapshot in its artifact meta, and validate reads: the source's
 * columns as DuckDB typed them, how each feature was derived, and the values that did not
 * convert. Small JSON, so it travels in the artifact ref.
 */
import type { ArtifactRef } from '../pipeline/types';
import type { LabelComparison } from '../pipeline/label-spec';
import type { ColumnType } from './column-types';

/** Source values that a transform could not convert (text in a number column, unparseable times). */
export interface ConversionFailure {
  /** Source column. */
  column: string;
  /** Non-null source values that became null. */
  count: number;
  /** Rows in the window the count is out of. */
  rows: number;
  /** The smallest offending value, as text. */
  example: string;
}

export interface SnapshotMeta {
  rows: number;
  positiveRate: number | null;
  /** Columns of the snapshot file. */
  schema: ColumnType[];
  label: string;
  features: string[];
  /** Source column that `event_time` comes from; null when the source has none (hash split, no event_time). */
  timeColumn?: string | null;
  /** Transform per feature name (`identity`, `double`, `hour`, ...). */
  transforms?: Record<string, string>;
  /** `select`: the spec's source.select, when the snapshot is its result. */
  source?: { path: string; format: string; files: number; columns: ColumnType[]; select?: string };
  /** By snapshot column (feature name, the label, or `event_time`). */
  conversionFailures?: Record<string, ConversionFailure>;
  /** Source rows left out because their time was null or unparseable. */
  rowsWithoutTime?: number;
  /** Rows in the whole source, before the window. */
  sourceRows?: number;
  /**
   * For a label comparing a numeric source column with a number: that column's values counted
   * in the whole window (both splits) and per value of the `slices` features (Parquet:
   * `column` ('' for all rows), `value`, `source`, `n`), for `labelSourceSpikes`.
   */
  labelSource?: {
    column: string;
    slices: string[];
    counts: ArtifactRef;
    /** The label's comparison (`delay > 15`: gt 15), for `labelSourceBoundary`; absent in snapshots ingested before it was recorded. */
    comparison?: LabelComparison;
  };
  /** The label's task when not binary (binary snapshots, old and new, carry none). */
  task?: 'multiclass' | 'regression';
  /** A multiclass label's classes, sorted (or as pinned in the spec): the model's class order. */
  classes?: string[];
}

/** The meta of a snapshot ref, with the fields older snapshots lack left undefined. */
export function snapshotMeta(ref: ArtifactRef): SnapshotMeta {
  const meta = (ref.meta ?? {}) as Partial<SnapshotMeta>;
  return {
    ...meta,
    rows: Number(meta.rows ?? 0),
    positiveRate: meta.positiveRate ?? null,
    schema: meta.schema ?? [],
    label: String(meta.label ?? 'label'),
    features: meta.features ?? [],
  };
}
