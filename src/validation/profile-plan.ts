/**
 * The bucketing plan shared by the reference and the current profile. Numeric grids come from
 * the reference's range (the current batch's on a first run), never from the batch being judged
 * alone: injected extreme values must not stretch the grid until every normal value shares one bucket.
 */
import { typeFamily, type ColumnType } from './column-types';
import type { DataSchema } from './data-schema';
import { numericGrid, type ColumnKind, type ColumnPlan, type FooterStats } from './profile';

/** Buckets for categorical columns too varied to count value by value (the schema has no domain). */
const HASH_BUCKETS = 4096;

export function buildPlan(kinds: Map<string, ColumnKind>, types: ColumnType[], ranges: Array<FooterStats | undefined>, schema?: DataSchema): ColumnPlan[] {
  const typeOf = new Map(types.map((t) => [t.name, t.type]));
  const plan: ColumnPlan[] = [];
  for (const [name, kind] of kinds) {
    const type = typeOf.get(name);
    if (!type) continue;
    if (kind === 'categorical') {
      plan.push({ name, type, kind, ...(schema?.columns[name]?.domain === null ? { hashBuckets: HASH_BUCKETS } : {}) });
      continue;
    }
    const range = ranges.map((r) => r?.columns.get(name)).find((c) => c?.min != null && c?.max != null);
    plan.push({ name, type, kind, ...numericGrid(type, range?.min ?? 0, range?.max ?? 1) });
  }
  return plan;
}

/**
 * The same plan for another file set (the reference) with that file's column types. Columns it
 * lacks are dropped; a column no longer numeric there is profiled as categories (drift then skips it).
 */
export function planForTypes(plan: ColumnPlan[], types: ColumnType[]): ColumnPlan[] {
  const typeOf = new Map(types.map((t) => [t.name, t.type]));
  return plan.flatMap((p): ColumnPlan[] => {
    const type = typeOf.get(p.name);
    if (!type) return [];
    if (p.kind === 'numeric' && typeFamily(type) !== 'numeric') return [{ name: p.name, type, kind: 'categorical' }];
    return [{ ...p, type }];
  });
}
