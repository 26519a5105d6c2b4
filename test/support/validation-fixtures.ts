/** Small in-memory profiles and snapshot metas for the unit tests of src/validation. */
import { validateParamsSchema, type ValidateParams } from '../../src/pipeline/step-params';
import type { CheckContext } from '../../src/validation/check-result';
import { inferSchema } from '../../src/validation/data-schema';
import type { ColumnProfile, DatasetProfile } from '../../src/validation/profile';
import type { SnapshotMeta } from '../../src/validation/snapshot-meta';

export function numericColumn(name: string, values: Array<number | null>, type = 'BIGINT'): ColumnProfile {
  const counts = new Map<number, number>();
  let nulls = 0;
  for (const v of values) {
    if (v === null) nulls++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const present = values.filter((v): v is number => v !== null);
  return {
    name,
    type,
    kind: 'numeric',
    rows: values.length,
    nulls,
    min: present.length ? Math.min(...present) : null,
    max: present.length ? Math.max(...present) : null,
    histogram: { quantum: 1, exact: true, bins: [...counts].sort((a, b) => a[0] - b[0]) },
  };
}

export function categoricalColumn(name: string, values: Array<string | null>, type = 'VARCHAR'): ColumnProfile {
  const counts = new Map<string, number>();
  let nulls = 0;
  for (const v of values) {
    if (v === null) nulls++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return { name, type, kind: 'categorical', rows: values.length, nulls, categories: [...counts].sort((a, b) => b[1] - a[1]) };
}

export function profileOf(columns: ColumnProfile[], duplicateRows = 0): DatasetProfile {
  const rows = columns[0]?.rows ?? 0;
  return { rows, columns: Object.fromEntries(columns.map((c) => [c.name, c])), duplicates: { sampledRows: rows, duplicateRows, modulus: 1 } };
}

/** `n` values cycling through `values`. */
export const repeat = <T>(values: T[], n: number): T[] => Array.from({ length: n }, (_, i) => values[i % values.length]);

export function metaOf(profile: DatasetProfile, overrides: Partial<SnapshotMeta> = {}): SnapshotMeta {
  const columns = Object.values(profile.columns);
  const labels = new Map(profile.columns.label?.categories ?? []);
  const ones = labels.get('1') ?? 0;
  const zeros = labels.get('0') ?? 0;
  return {
    rows: profile.rows,
    positiveRate: ones + zeros ? ones / (ones + zeros) : null,
    schema: [...columns.map((c) => ({ name: c.name, type: c.type })), { name: 'event_time', type: 'TIMESTAMP' }],
    label: 'label',
    features: columns.map((c) => c.name).filter((n) => n !== 'label'),
    transforms: {},
    source: { path: 'test.parquet', format: 'parquet', files: 1, columns: columns.filter((c) => c.name !== 'label').map((c) => ({ name: c.name, type: c.type })) },
    conversionFailures: {},
    rowsWithoutTime: 0,
    sourceRows: profile.rows,
    ...overrides,
  };
}

/** A check context for `current`, with the schema inferred from `reference` (or `current`). */
export function contextOf(current: DatasetProfile, options: { reference?: DatasetProfile; params?: Record<string, unknown>; meta?: Partial<SnapshotMeta> } = {}): CheckContext {
  const params: ValidateParams = validateParamsSchema.parse(options.params ?? {});
  const meta = metaOf(current, options.meta);
  const base = options.reference ?? current;
  const schema = inferSchema({ model: 'm', meta: metaOf(base), profile: base, createdBy: { workflowId: 'w', runId: 'r', stepId: 'validate' }, reason: 'test' });
  return {
    params,
    schema,
    current,
    currentTypes: meta.schema,
    meta: { train: meta, holdout: { ...meta, rows: Math.max(1, Math.floor(meta.rows / 4)) } },
    ...(options.reference ? { reference: { description: 'reference', profile: options.reference, positiveRate: metaOf(options.reference).positiveRate } } : {}),
  };
}
