/**
 * The data schema of a model: the source's columns and types, and per snapshot column its kind,
 * numeric range or categorical domain. Inferred on a model's first run, then carried forward
 * unchanged; only the spec changes it (pins, or `schema.update: true`), and every change gets a
 * new version number and a recorded reason and diff. See ARCHITECTURE.md.
 */
import { canonicalJson } from '../artifacts/canonical-json';
import { InvalidPipelineInputError } from '../errors';
import type { ColumnPin } from '../pipeline/step-params';
import { typeFamily, type ColumnType } from './column-types';
import type { ColumnKind, DatasetProfile } from './profile';
import type { SnapshotMeta } from './snapshot-meta';

export interface ColumnSchema {
  /** DuckDB type of the snapshot column. */
  type: string;
  kind: ColumnKind;
  role: 'feature' | 'label';
  /** Numeric: allowed range, inclusive. */
  min?: number;
  max?: number;
  /** Categorical: known values as text; null when there were too many to enumerate (not enforced). */
  domain?: string[] | null;
  /** Overrides the step's maxNullFraction. */
  maxNullFraction?: number;
  /** false: left out of drift detection. */
  drift?: boolean;
}

export interface DataSchema {
  kind: 'slipway.data-schema';
  formatVersion: 1;
  model: string;
  /** 1 for the first schema of a model, +1 at every change. */
  version: number;
  /** sha256 of the schema artifact this one replaced. */
  previous: string | null;
  /** Why this version exists: first inference, an update requested in the spec, or pins. */
  reason: string;
  createdBy: { workflowId: string; runId: string; stepId: string };
  label: string;
  source: { columns: ColumnType[] };
  columns: Record<string, ColumnSchema>;
}

/** Categorical columns with more distinct values than this get no domain (IDs, free text). */
export const MAX_DOMAIN_VALUES = 1000;

/** Values of the time-part transforms, which a short first window would otherwise under-infer. */
const NATURAL_DOMAINS: Record<string, string[]> = {
  hour: range(0, 23),
  weekday: range(0, 6),
  month: range(1, 12),
  day: range(1, 31),
};

/** The kind each snapshot column is profiled and checked as: pins, then the schema, then inference. */
export function columnKinds(meta: SnapshotMeta, types: ColumnType[], schema?: DataSchema, pins: Record<string, ColumnPin> = {}): Map<string, ColumnKind> {
  const kinds = new Map<string, ColumnKind>();
  for (const name of [...meta.features, meta.label]) {
    const type = types.find((t) => t.name === name)?.type ?? 'VARCHAR';
    const wanted = pins[name]?.kind ?? schema?.columns[name]?.kind ?? inferKind(name, type, meta);
    // A column that stopped being numeric cannot be bucketed as numbers; the type check reports it.
    kinds.set(name, wanted === 'numeric' && typeFamily(type) !== 'numeric' ? 'categorical' : wanted);
  }
  return kinds;
}

function inferKind(name: string, type: string, meta: SnapshotMeta): ColumnKind {
  if (name === meta.label) return meta.task === 'regression' ? 'numeric' : 'categorical';
  if (NATURAL_DOMAINS[meta.transforms?.[name] ?? '']) return 'categorical';
  return typeFamily(type) === 'numeric' ? 'numeric' : 'categorical';
}

export interface InferInput {
  model: string;
  meta: SnapshotMeta;
  /** The data the schema is inferred from (this batch on a first run). */
  profile: DatasetProfile;
  createdBy: DataSchema['createdBy'];
  reason: string;
}

export function inferSchema({ model, meta, profile, createdBy, reason }: InferInput): DataSchema {
  const columns: Record<string, ColumnSchema> = {};
  for (const name of [...meta.features, meta.label]) {
    const p = profile.columns[name];
    if (!p) continue;
    const role = name === meta.label ? 'label' : 'feature';
    const col: ColumnSchema = { type: p.type, kind: p.kind, role };
    // A multiclass label's domain is its class list; a regression target's range is not inferred (pin it to check it).
    if (role === 'label') {
      if (meta.task === 'multiclass' && meta.classes) col.domain = [...meta.classes];
      else if (meta.task !== 'regression') col.domain = ['0', '1'];
    }
    else if (p.kind === 'numeric') {
      if (p.min != null) col.min = p.min;
      if (p.max != null) col.max = p.max;
    } else {
      const natural = NATURAL_DOMAINS[meta.transforms?.[name] ?? ''];
      const seen = (p.categories ?? []).map(([v]) => v);
      col.domain = natural ?? (seen.length <= MAX_DOMAIN_VALUES ? [...seen].sort() : null);
    }
    columns[name] = col;
  }
  return {
    kind: 'slipway.data-schema',
    formatVersion: 1,
    model,
    version: 1,
    previous: null,
    reason,
    createdBy,
    label: meta.label,
    source: { columns: meta.source?.columns ?? [] },
    columns,
  };
}

/** The schema with the spec's pins applied. Pins may only name snapshot columns. */
export function applyPins(schema: DataSchema, pins: Record<string, ColumnPin>): DataSchema {
  const unknown = Object.keys(pins).filter((name) => !schema.columns[name]);
  if (unknown.length > 0) {
    throw new InvalidPipelineInputError(
      unknown.map((n) => `validate.with.schema.columns.${n}: no column "${n}" in the snapshot (columns: ${Object.keys(schema.columns).join(', ')})`),
    );
  }
  const columns = { ...schema.columns };
  for (const [name, pin] of Object.entries(pins)) {
    const col = { ...columns[name] };
    if (pin.kind !== undefined) col.kind = pin.kind;
    if (pin.min !== undefined) col.min = pin.min;
    if (pin.max !== undefined) col.max = pin.max;
    if (pin.domain !== undefined) col.domain = pin.domain.map(String).sort();
    if (pin.maxNullFraction !== undefined) col.maxNullFraction = pin.maxNullFraction;
    if (pin.drift !== undefined) col.drift = pin.drift;
    columns[name] = col;
  }
  return { ...schema, columns };
}

/** The facts a schema asserts; two schemas with the same content are the same schema. */
export const schemaContent = (s: DataSchema): string => canonicalJson({ label: s.label, source: s.source, columns: s.columns });

/** Human-readable differences from `from` to `to`, one line each. */
export function diffSchemas(from: DataSchema, to: DataSchema): string[] {
  const out: string[] = [];
  const fromSource = new Map(from.source.columns.map((c) => [c.name, c.type]));
  const toSource = new Map(to.source.columns.map((c) => [c.name, c.type]));
  for (const [name, type] of toSource) {
    if (!fromSource.has(name)) out.push(`source column ${name} (${type}) added`);
    else if (fromSource.get(name) !== type) out.push(`source column ${name}: type ${fromSource.get(name)} -> ${type}`);
  }
  for (const name of fromSource.keys()) if (!toSource.has(name)) out.push(`source column ${name} removed`);
  for (const [name, col] of Object.entries(to.columns)) {
    const old = from.columns[name];
    if (!old) {
      out.push(`column ${name} added (${col.kind})`);
      continue;
    }
    for (const key of ['type', 'kind', 'min', 'max', 'maxNullFraction', 'drift'] as const) {
      if (old[key] !== col[key]) out.push(`column ${name}: ${key} ${old[key] ?? '(none)'} -> ${col[key] ?? '(none)'}`);
    }
    const before = new Set(old.domain ?? []);
    const after = new Set(col.domain ?? []);
    const added = [...after].filter((v) => !before.has(v));
    const removed = [...before].filter((v) => !after.has(v));
    if ((old.domain === null) !== (col.domain === null)) out.push(`column ${name}: domain ${col.domain === null ? 'no longer enforced' : 'now enforced'}`);
    else if (added.length || removed.length) out.push(`column ${name}: domain ${[...sample('+', added), ...sample('-', removed)].join(' ')}`);
  }
  for (const name of Object.keys(from.columns)) if (!to.columns[name]) out.push(`column ${name} removed`);
  return out;
}

function sample(sign: string, values: string[]): string[] {
  if (values.length === 0) return [];
  const shown = values.slice(0, 5).map((v) => `${sign}${v}`);
  return values.length > 5 ? [...shown, `(${sign}${values.length - 5} more)`] : shown;
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}
