import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundCounter, BoundHistogram } from './bound-metrics';

const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The same observations through prom-client and through the bound metrics, rendered by one kind of registry each. */
function both(observations: [string, string, number][]) {
  const theirs = new Registry();
  const ours = new Registry();
  const opts = { name: 'x_seconds', help: 'h', labelNames: ['model', 'version'] as const };
  const h = new Histogram({ ...opts, buckets: BUCKETS, registers: [theirs] });
  const c = new Counter({ ...opts, name: 'x_total', registers: [theirs] });
  const bh = new BoundHistogram({ ...opts, buckets: BUCKETS, registers: [ours] });
  const bc = new BoundCounter({ ...opts, name: 'x_total', registers: [ours] });
  for (const [model, version, v] of observations) {
    h.labels(model, version).observe(v);
    c.labels(model, version).inc();
    bh.labels(model, version).observe(v);
    bc.labels(model, version).inc();
  }
  return { theirs, ours, bh, bc };
}

describe('bound metrics', () => {
  it('render exactly as prom-client renders the same observations', async () => {
    const values = [0, 0.0005, 0.0007, 0.003, 0.003, 0.2, 2.5, 7, 0.01];
    const { theirs, ours } = both(values.flatMap((v, i) => [['m', '1', v] as [string, string, number], ['m "q"', String(i % 2 + 2), v * 2]]));
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // JSON too, less prom-client's empty `exemplar` fields (exemplars are off).
    const json = async (r: Registry) => JSON.parse(JSON.stringify(await r.getMetricsAsJSON(), (k, v: unknown) => (k === 'exemplar' ? undefined : v))) as unknown;
    expect(await json(ours)).toEqual(await json(theirs));
  });

  it('refuses a value that is not finite, as prom-client does, and counts nothing', async () => {
    const { ours, bh } = both([['m', '1', 0.1]]);
    const before = await ours.metrics();
    expect(() => bh.labels('m', '1').observe(NaN)).toThrow(TypeError);
    expect(await ours.metrics()).toBe(before);
  });

  it('refuses the wrong number of label values, and reset zeroes the series callers hold', async () => {
    const { ours, bh, bc } = both([['m', '1', 0.1]]);
    expect(() => bh.labels('m')).toThrow(/2 label values expected \(model, version\); got 1/);
    const held = bc.labels('m', '1');
    ours.resetMetrics();
    held.inc();
    expect(await ours.metrics()).toContain('x_total{model="m",version="1"} 1');
    // As prom-client after a reset: a series comes back once something is counted in it.
    expect(await ours.metrics()).not.toContain('x_seconds_count');
    expect(await ours.metrics()).not.toContain('x_total{model="m",version="2"}');
    bc.labels('m', '2');
    expect(await ours.metrics()).not.toContain('x_total{model="m",version="2"}');
    expect(() => held.inc(-1)).toThrow(TypeError);
  });
});
