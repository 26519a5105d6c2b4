import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../data/duckdb';
import { labelSourceParamsSchema } from '../pipeline/step-params';
import { readSpikeCounts, spikeCounts, sourceSpikeCandidates, type SourceCount } from './label-source-spikes';

const params = labelSourceParamsSchema.parse({});

/** A delay-like distribution: counts falling away from 0, `scale` rows at the peak. */
function delays(scale: number, column = '', value = ''): SourceCount[] {
  return Array.from({ length: 61 }, (_, i) => i - 20).map((source) => ({ column, value, source, n: Math.round(scale * Math.exp(-Math.abs(source) / 8)) }));
}
const add = (rows: SourceCount[], source: number, extra: number) => rows.map((r) => (r.source === source ? { ...r, n: r.n + extra } : r));
const at = (spikes: ReturnType<typeof sourceSpikeCandidates>, source: number, column = '') => spikes.find((s) => s.source === source && s.column === column)!;

describe('label source spikes', () => {
  it('sees nothing when the batch only shifts as a whole (a calmer week moves neighbours together)', () => {
    const spikes = sourceSpikeCandidates(delays(600), delays(2400), params);
    expect(Math.max(...spikes.map((s) => s.ratio))).toBeCloseTo(1, 1);
    expect(Math.min(...spikes.map((s) => s.pValue))).toBeGreaterThan(0.01);
  });

  it('finds rows rewritten to one value, with observed vs expected rows, excess and a small p-value', () => {
    const batch = add(delays(600), 0, 300);
    const s = at(sourceSpikeCandidates(batch, delays(2400), params), 0);
    expect(s.observed).toBe(900);
    expect(s.expected).toBeGreaterThan(540);
    expect(s.expected).toBeLessThan(660);
    expect(s.ratio).toBeGreaterThan(1.3);
    expect(s.excess).toBeGreaterThan(0.02);
    expect(s.pValue).toBeLessThan(1e-6);
  });

  it('judges a spike inside one slice against that slice of the reference', () => {
    const batch = [...delays(600), ...add(delays(200, 'origin', 'ORD'), 0, 300)];
    const reference = [...delays(2400), ...delays(800, 'origin', 'ORD')];
    const s = at(sourceSpikeCandidates(batch, reference, params), 0, 'origin');
    expect(s.value).toBe('ORD');
    expect(s.ratio).toBeGreaterThan(2);
  });

  it('skips slices the reference lacks and slices with fewer rows than minSliceRows', () => {
    const batch = [...delays(600), ...delays(100, 'origin', 'NEW'), ...delays(2, 'origin', 'TINY')];
    const reference = [...delays(2400), ...delays(8, 'origin', 'TINY')];
    const spikes = sourceSpikeCandidates(batch, reference, params);
    expect(spikes.some((s) => s.value === 'NEW' || s.value === 'TINY')).toBe(false);
  });

  it('expects a continuous value at its reference share, so one repeated exact value stands out', () => {
    const reference: SourceCount[] = Array.from({ length: 5000 }, (_, i) => ({ column: '', value: '', source: i + 0.5, n: 1 }));
    const batch: SourceCount[] = [...reference.slice(0, 4000), { column: '', value: '', source: 7.25, n: 200 }];
    const s = at(sourceSpikeCandidates(batch, reference, params), 7.25);
    expect(s.pValue).toBeLessThan(1e-10);
  });

  it('selects in DuckDB exactly the counts it selects in JS: slices, thresholds, missing slices, continuous values', async () => {
    const continuous: SourceCount[] = Array.from({ length: 300 }, (_, i) => ({ column: 'hour', value: '7', source: i + 0.5, n: 10 + (i % 3) }));
    const batch = [...add(delays(600), 0, 300), ...add(delays(200, 'origin', 'ORD'), 3, 80), ...delays(100, 'origin', 'NEW'), ...delays(2, 'origin', 'TINY'), ...delays(60, 'origin', 'SMALL'), ...continuous, { column: 'hour', value: '7', source: 7.25, n: 40 }];
    const reference = [...delays(2400), ...delays(800, 'origin', 'ORD'), ...delays(8, 'origin', 'TINY'), ...delays(240, 'origin', 'SMALL'), ...continuous, { column: 'hour', value: '9', source: 1, n: 0 }];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-spikes-'));
    try {
      const fromSql = await withDuckDb({}, async (conn) => {
        const write = async (rows: SourceCount[], file: string) => {
          const values = rows.map((r) => `(${sqlString(r.column)}, ${sqlString(r.value)}, ${r.source}::DOUBLE, ${r.n}::BIGINT)`).join(', ');
          await conn.run(`COPY (SELECT * FROM (VALUES ${values}) t("column", "value", "source", n)) TO ${sqlString(path.join(dir, file))} (FORMAT parquet)`);
        };
        await write(batch, 'batch.parquet');
        await write(reference, 'reference.parquet');
        return readSpikeCounts(conn, path.join(dir, 'batch.parquet'), path.join(dir, 'reference.parquet'), params);
      });
      const expected = spikeCounts(batch, reference, params);
      expect(expected.length).toBeGreaterThan(20);
      expect(expected.some((c) => c.column === 'hour' && c.neighbours === 0)).toBe(true);
      const order = (a: { column: string; value: string; source: number }, b: typeof a) => a.column.localeCompare(b.column) || a.value.localeCompare(b.value) || a.source - b.source;
      expect([...fromSql].sort(order)).toEqual([...expected].sort(order));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
