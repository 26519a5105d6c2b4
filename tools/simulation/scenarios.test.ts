import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, withDuckDb } from '../../src/data/duckdb';
import { writeParquet } from '../../src/data/flights-window';
import { describeScenario, scenarioFlights, scenarioFor } from './scenarios';

describe('simulation scenarios', () => {
  it('places the change at the given week from the start, with defaults', () => {
    expect(scenarioFor('concept-drift', { start: '2001-02-26' })).toEqual({ name: 'concept-drift', driftFrom: '2001-03-12', hub: 'ORD', driftMinutes: 45 });
    expect(scenarioFor('tainted-week', { start: '2001-02-26', week: 5, taintFraction: 0.5 })).toEqual({ name: 'tainted-week', taintFrom: '2001-03-26', taintFraction: 0.5 });
    expect(scenarioFor('traffic-drop', { start: '2001-02-26', rate: 5 })).toEqual({ name: 'traffic-drop', rate: 5 });
    expect(describeScenario(scenarioFor('calm', { start: '2001-02-26' }))).toBe('calm: the flights as they are');
  });

  it.each([
    ['storm', {}, /--scenario: "storm" is not one of calm, concept-drift, tainted-week, traffic-drop/],
    ['concept-drift', { hub: "ORD' OR 1=1" }, /--hub: "ORD' OR 1=1" is not an airport code/],
    ['concept-drift', { week: 0 }, /--scenario-week: 0 is not a week number/],
    ['tainted-week', { taintFraction: 1.5 }, /--taint-fraction: 1.5 must be in \(0, 1\]/],
    ['traffic-drop', { rate: 0 }, /--canary-rate: 0 must be a positive number/],
  ])('refuses %s with %o, naming the option', (name, over, message) => {
    expect(() => scenarioFor(name, { start: '2001-02-26', ...over })).toThrow(message);
  });

  describe('the altered flights file (real DuckDB)', () => {
    let dir: string;
    let source: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-scenario-'));
      source = path.join(dir, 'flights.parquet');
      // 2,000 flights over two weeks: ORD and DFW, delays cycling through -20 … 79 minutes.
      await writeParquet(
        source,
        `SELECT TIMESTAMP '2001-03-05' + to_minutes(i * 10) AS date, ((i * 37) % 100 - 20)::BIGINT AS delay, (300 + i % 700)::BIGINT AS distance,
                CASE WHEN i % 2 = 0 THEN 'ORD' ELSE 'DFW' END AS origin, 'LAX' AS destination FROM range(2000) t(i)`,
      );
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    const read = (file: string, sql: string) => withDuckDb({}, async (c) => (await c.runAndReadAll(sql.replaceAll('$f', `read_parquet(${sqlString(file)})`))).getRowsJson()[0].map(Number));

    it('concept drift delays only the hub, only from the change on', async () => {
      const s = scenarioFor('concept-drift', { start: '2001-03-05', week: 2, hub: 'ORD', driftMinutes: 45 });
      const out = await scenarioFlights(s, path.join(dir, 'drift'), source);
      const q = `SELECT count(*) FILTER (WHERE a.delay <> b.delay), count(*) FILTER (WHERE a.delay <> b.delay AND (b.origin <> 'ORD' OR b.date < '2001-03-12')), min(a.delay - b.delay) FILTER (WHERE a.delay <> b.delay), count(*)
                 FROM (SELECT *, row_number() OVER (ORDER BY date) r FROM $f) a JOIN (SELECT *, row_number() OVER (ORDER BY date) r FROM read_parquet(${sqlString(source)})) b USING (r)`;
      const [changed, elsewhere, shift, rows] = await read(out.path, q);
      expect(rows).toBe(2000);
      expect(changed).toBe(out.altered);
      // 2000 flights × 10 min ≈ 13.9 days; the second week (from 2001-03-12) holds 992 of them, half from ORD.
      expect(changed).toBe(496);
      expect(elsewhere).toBe(0);
      expect(shift).toBe(45);
    });

    it('a tainted week relabels about the given share of its delayed flights on time, and nothing else', async () => {
      const s = scenarioFor('tainted-week', { start: '2001-03-05', week: 1, taintFraction: 0.3 });
      const out = await scenarioFlights(s, path.join(dir, 'taint'), source);
      const [delayed] = await read(source, `SELECT count(*) FILTER (WHERE delay > 15 AND date < '2001-03-12') FROM $f`);
      const [delayedAfter, outside] = await read(out.path, `SELECT count(*) FILTER (WHERE delay > 15 AND date < '2001-03-12'), count(*) FILTER (WHERE delay > 15 AND date >= '2001-03-12') FROM $f`);
      const [outsideBefore] = await read(source, `SELECT count(*) FILTER (WHERE delay > 15 AND date >= '2001-03-12') FROM $f`);
      expect(out.altered).toBe(delayed - delayedAfter);
      expect(out.altered / delayed).toBeGreaterThan(0.22);
      expect(out.altered / delayed).toBeLessThan(0.38);
      expect(outside).toBe(outsideBefore);
      // The same rows every time: a second write alters exactly the same count.
      expect((await scenarioFlights(s, path.join(dir, 'taint2'), source)).altered).toBe(out.altered);
    });

    it('calm leaves the source as it is', async () => {
      expect(await scenarioFlights(scenarioFor('calm', { start: '2001-03-05' }), path.join(dir, 'calm'), source)).toEqual({ path: source, altered: 0 });
    });
  });
});
