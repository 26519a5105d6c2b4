import { describe, expect, it } from 'vitest';
import { InvalidPipelineInputError } from '../errors';
import type { ArtifactRef } from '../pipeline/types';
import { columnKinds, diffSchemas, inferSchema } from './data-schema';
import { resolveSchema, type Champion } from './schema-in-force';
import { categoricalColumn, metaOf, numericColumn, profileOf, repeat } from '../../test/support/validation-fixtures';

const createdBy = { workflowId: 'wf', runId: 'run', stepId: 'validate' };
const profile = profileOf([
  numericColumn('distance', repeat([100, 200, 300], 300), 'DOUBLE'),
  categoricalColumn('hour', repeat(['6', '7', '8'], 300), 'BIGINT'),
  categoricalColumn('origin', repeat(['ATL', 'ORD'], 300)),
  categoricalColumn('label', repeat(['0', '1'], 300), 'INTEGER'),
]);
const meta = metaOf(profile, { transforms: { distance: 'double', hour: 'hour', origin: 'identity' } });
const first = inferSchema({ model: 'm', meta, profile, createdBy, reason: 'first' });
const ref = (sha: string): ArtifactRef => ({ uri: `artifact://sha256/${sha.repeat(64)}`, sha256: sha.repeat(64), bytes: 1, name: 'schema', mediaType: 'application/json' });
const champion: Champion = { version: 3, schema: { schema: first, ref: ref('a') } };

describe('data schema', () => {
  it('infers ranges, domains, natural time domains and the label', () => {
    expect(first.columns).toEqual({
      distance: { type: 'DOUBLE', kind: 'numeric', role: 'feature', min: 100, max: 300 },
      // A batch holding hours 6-8 must not make hour 9 unknown tomorrow.
      hour: { type: 'BIGINT', kind: 'categorical', role: 'feature', domain: Array.from({ length: 24 }, (_, i) => String(i)) },
      origin: { type: 'VARCHAR', kind: 'categorical', role: 'feature', domain: ['ATL', 'ORD'] },
      label: { type: 'INTEGER', kind: 'categorical', role: 'label', domain: ['0', '1'] },
    });
    expect(first.source.columns.map((c) => c.name)).toEqual(['distance', 'hour', 'origin']);
  });

  it('profiles a column the schema calls numeric as categories once it is text', () => {
    const kinds = columnKinds(meta, [{ name: 'distance', type: 'VARCHAR' }], first);
    expect(kinds.get('distance')).toBe('categorical');
  });

  it('infers the schema from the batch on a first run', () => {
    const r = resolveSchema({ model: 'm', createdBy, meta, current: profile, pins: {}, update: false });
    expect(r).toMatchObject({ changed: true, origin: 'inferred from this batch (first run)', schema: { version: 1, previous: null } });
  });

  it("keeps the champion's schema, unchanged and not re-stored, when the spec asks for nothing", () => {
    const drifted = profileOf([numericColumn('distance', repeat([900], 10), 'DOUBLE'), ...Object.values(profile.columns).slice(1)]);
    const r = resolveSchema({ model: 'm', createdBy, meta, current: drifted, champion, pins: {}, update: false });
    expect(r).toEqual({ schema: first, ref: champion.schema!.ref, origin: 'champion v3', changed: false, changes: [] });
  });

  it('makes a pin a new, recorded schema version', () => {
    const r = resolveSchema({ model: 'm', createdBy, meta, current: profile, champion, pins: { distance: { min: 0, max: 6000 }, origin: { drift: false } }, update: false });
    expect(r.changed).toBe(true);
    expect(r.schema).toMatchObject({ version: 2, previous: 'a'.repeat(64), reason: 'facts pinned in the spec (validate.with.schema.columns)' });
    expect(r.changes).toEqual(['column distance: min 100 -> 0', 'column distance: max 300 -> 6000', 'column origin: drift (none) -> false']);
    // Pinning what the schema already says changes nothing.
    expect(resolveSchema({ model: 'm', createdBy, meta, current: profile, champion: { ...champion, schema: { schema: r.schema, ref: ref('b') } }, pins: { distance: { min: 0 } }, update: false }).changed).toBe(false);
  });

  it('replaces the schema with this batch when the spec asks for an update', () => {
    const wider = profileOf([numericColumn('distance', repeat([100, 5000], 300), 'DOUBLE'), ...Object.values(profile.columns).slice(1)]);
    const r = resolveSchema({ model: 'm', createdBy, meta, current: wider, champion, pins: {}, update: true });
    expect(r).toMatchObject({ changed: true, schema: { version: 2, reason: 'update requested in the spec (validate.with.schema.update)' } });
    expect(r.changes).toEqual(['column distance: max 300 -> 5000']);
  });

  it("infers the schema from the champion's training data when the champion has none", () => {
    const r = resolveSchema({ model: 'm', createdBy, meta, current: profile, reference: profile, champion: { version: 2 }, pins: {}, update: false });
    expect(r).toMatchObject({ changed: false, origin: "inferred from champion v2's training data", schema: { version: 1 } });
    expect(r.ref).toBeUndefined();
  });

  it('rejects a pin on a column the snapshot does not have', () => {
    expect(() => resolveSchema({ model: 'm', createdBy, meta, current: profile, pins: { dist: { min: 0 } }, update: false })).toThrow(InvalidPipelineInputError);
  });

  it('describes source and domain changes', () => {
    const next = { ...first, source: { columns: [...first.source.columns.slice(1), { name: 'carrier', type: 'VARCHAR' }] }, columns: { ...first.columns, origin: { ...first.columns.origin, domain: ['ATL', 'SFO'] } } };
    expect(diffSchemas(first, next)).toEqual(['source column carrier (VARCHAR) added', 'source column distance removed', 'column origin: domain +SFO -ORD']);
  });
});
