import { describe, expect, it } from 'vitest';
import { Admission } from './admission';
import { LabelWindow } from './label-window';
import { VersionStats } from './version-stats';

describe('VersionStats', () => {
  it('sums the seconds in range and drops seconds past the retention', () => {
    const stats = new VersionStats(60);
    stats.record(1_000_000, 2, [0.1, 0.9], false);
    stats.record(1_001_500, 4, [0.55], false);
    stats.record(1_002_100, 100, [], true);
    expect(stats.summarize(1_000_000, 1_002_999)).toMatchObject({ requests: 3, errors: 1, rows: 3, latencyMs: { max: 100 } });
    const later = stats.summarize(1_001_000, 1_001_999);
    expect(later).toMatchObject({ requests: 1, errors: 0, errorRate: 0, rows: 1, scores: { mean: expect.closeTo(0.55, 6) } });
    expect(later.scores.counts[11]).toBe(1);
    stats.record(1_000_000 + 61_000, 1, [0.5], false);
    expect(stats.summarize(0, 1_000_999).requests).toBe(0);
    expect(stats.summarize(0, 2_000_000).requests).toBe(3);
  });
});

describe('LabelWindow', () => {
  it('keeps the last `capacity` labels and filters by prediction time', () => {
    const w = new LabelWindow(4);
    w.add(1, 0.9, 1);
    w.add(2, 0.2, 0);
    w.add(3, 0.8, 0);
    w.add(4, 0.7, 1);
    w.add(5, 0.1, 0);
    // Binary log loss: −ln P(true label) per row (0.2→0, 0.8→0, 0.7→1, 0.1→0 kept), its mean and sample sd.
    const losses = [0.8, 0.2, 0.7, 0.9].map((p) => -Math.log(p));
    const mean = losses.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(losses.reduce((a, l) => a + (l - mean) ** 2, 0) / 3);
    const all = w.summarize();
    expect(all).toMatchObject({ labels: 4, positives: 1, accuracy: 0.75, auc: 2 / 3 });
    expect(all.logLoss).toBeCloseTo(mean, 6);
    expect(all.logLossSd).toBeCloseTo(sd, 6);
    expect(w.summarize(4)).toMatchObject({ labels: 2, positives: 1, accuracy: 1, auc: 1 });
    expect(w.summarize(5)).toEqual({ labels: 1, positives: 0, accuracy: 1, auc: null, logLoss: expect.closeTo(-Math.log(0.9), 6), logLossSd: null });
  });
});

describe('Admission', () => {
  it('runs up to the limit, queues up to the queue size and turns the rest away', async () => {
    const a = new Admission({ maxConcurrent: 1, maxQueue: 1, maxWaitMs: 50 });
    expect(a.tryEnter()).toBe(true);
    const queued = a.wait();
    expect(await a.wait()).toBe(false);
    a.leave();
    expect(await queued).toBe(true);
    expect(await a.wait()).toBe(false);
    expect(a.inFlight).toBe(1);
    const timedOut = a.wait();
    expect(await timedOut).toBe(false);
    a.leave();
    expect(a.inFlight).toBe(0);
  });
});
