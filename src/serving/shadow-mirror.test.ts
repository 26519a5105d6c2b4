import { describe, expect, it } from 'vitest';
import { creditServed } from './feedback-credit';
import { FeedbackLedger, ledgerEntryBytes } from './feedback-ledger';
import { LiveStats } from './live-stats';
import type { LoadedModel } from './loaded-model';
import { BINARY } from './model-task';
import { ServingMetrics } from './serving-metrics';
import { ShadowMirror } from './shadow-mirror';

/** A shadow version whose predictions resolve when the test says so, counting its leases. */
function fakeShadow(version: number, fail = false) {
  const waiting: (() => void)[] = [];
  const shadow = {
    version,
    task: BINARY,
    leases: 1,
    calls: 0,
    releaseLease() {
      this.leases--;
    },
    predict(rows: unknown[]) {
      this.calls++;
      return new Promise<Float32Array>((resolve, reject) => waiting.push(() => (fail ? reject(new Error('broken shadow')) : resolve(new Float32Array(rows.length).fill(0.25)))));
    },
  };
  return { shadow, model: shadow as unknown as LoadedModel, finish: () => waiting.splice(0).forEach((f) => f()) };
}

const tick = () => new Promise((r) => setImmediate(r));

function world(maxPending: number) {
  const stats = new LiveStats({ retentionSeconds: 60, labelWindow: 100 });
  const ledger = new FeedbackLedger(100);
  const mirror = new ShadowMirror({ stats, ledger, metrics: new ServingMetrics(stats, { defaultMetrics: false }), maxPending });
  return { stats, ledger, mirror };
}

describe('ShadowMirror', () => {
  it('scores after the current turn, records the shadow stats at the champion time and attaches its prediction to the request id', async () => {
    const { stats, ledger, mirror } = world(4);
    ledger.remember('r1', 'm', 1, new Float32Array([0.9]), 5_000);
    const { shadow, model, finish } = fakeShadow(2);
    mirror.mirror(model, { model: 'm', rows: [{ distance: 1 }], at: 5_000, requestId: 'r1' });
    // Nothing ran synchronously: the caller's answer is not waiting for it.
    expect(mirror.inFlight).toBe(1);
    await tick();
    finish();
    await tick();
    expect(mirror.inFlight).toBe(0);
    expect(shadow.leases).toBe(0);
    expect(stats.summarize('m', 2, 5_000, 6_000).requests).toBe(1);
    expect(ledger.get('r1')!.shadow).toMatchObject({ version: 2, scores: new Float32Array([0.25]) });
    expect(mirror.countsOf('m')).toEqual({ scored: 1, failed: 0, dropped: 0 });
  });

  it('drops (and counts) requests beyond its bound, returning their leases at once', async () => {
    const { mirror } = world(2);
    const fakes = [fakeShadow(2), fakeShadow(2), fakeShadow(2), fakeShadow(2)];
    fakes.forEach((f, i) => mirror.mirror(f.model, { model: 'm', rows: [{}], at: 1_000, requestId: `r${i}` }));
    expect(mirror.inFlight).toBe(2);
    expect(fakes.map((f) => f.shadow.leases)).toEqual([1, 1, 0, 0]);
    expect(mirror.countsOf('m')).toMatchObject({ dropped: 2 });
    await tick();
    fakes.forEach((f) => f.finish());
    await tick();
    expect(mirror.countsOf('m')).toEqual({ scored: 2, failed: 0, dropped: 2 });
    expect(mirror.inFlight).toBe(0);
  });

  it('bounds the queue by rows too, and scores at most two requests at once', async () => {
    const stats = new LiveStats({ retentionSeconds: 60, labelWindow: 100 });
    const mirror = new ShadowMirror({ stats, ledger: new FeedbackLedger(100), metrics: new ServingMetrics(stats, { defaultMetrics: false }), maxPending: 10, maxPendingRows: 5 });
    const fakes = [fakeShadow(2), fakeShadow(2), fakeShadow(2), fakeShadow(2)];
    const rows = (n: number) => Array.from({ length: n }, () => ({}));
    // 2 + 2 rows fit, 3 more would not, 1 more does.
    [2, 2, 3, 1].forEach((n, i) => mirror.mirror(fakes[i].model, { model: 'm', rows: rows(n), at: 1_000, requestId: `r${i}` }));
    expect(mirror.countsOf('m')).toMatchObject({ dropped: 1 });
    expect(mirror.inFlight).toBe(3);
    await tick();
    // Two loops: the first two requests are being scored, the third waits its turn.
    expect(fakes.map((f) => f.shadow.calls)).toEqual([1, 1, 0, 0]);
    for (let i = 0; i < 4; i++) {
      fakes.forEach((f) => f.finish());
      await tick();
    }
    expect(mirror.countsOf('m')).toEqual({ scored: 3, failed: 0, dropped: 1 });
    expect(mirror.inFlight).toBe(0);
  });

  it('counts a failing shadow as errors of the shadow version, never throwing to the caller', async () => {
    const { stats, mirror } = world(4);
    const { model, finish, shadow } = fakeShadow(3, true);
    mirror.mirror(model, { model: 'm', rows: [{}], at: 2_000 });
    await tick();
    finish();
    await tick();
    expect(stats.summarize('m', 3, 2_000, 3_000)).toMatchObject({ requests: 1, errors: 1 });
    expect(mirror.countsOf('m')).toEqual({ scored: 0, failed: 1, dropped: 0 });
    expect(shadow.leases).toBe(0);
  });

  it('a label that arrived first without a shadow queued is not kept, and a late shadow prediction is not attached', () => {
    const ledger = new FeedbackLedger(10);
    ledger.remember('r', 'm', 1, new Float32Array([0.5]), 0);
    const bytes = ledger.bytes;
    ledger.get('r')!.labelled = true;
    expect(ledger.attachShadow('r', 2, new Float32Array([0.1]), BINARY)).toBeUndefined();
    expect(ledger.bytes).toBe(bytes);
    ledger.remember('s', 'm', 1, new Float32Array([0.5]), 0);
    const before = ledger.bytes;
    expect(ledger.attachShadow('s', 2, new Float32Array([0.1]), BINARY)).toBe(ledger.get('s'));
    expect(ledger.bytes).toBeGreaterThan(before);
  });

  it('credits a label that came before the shadow scored the request to both versions once it does, and pairs them', async () => {
    const { stats, ledger, mirror } = world(4);
    ledger.remember('early', 'm', 1, new Float32Array([0.9]), 5_000);
    const { model, finish } = fakeShadow(2);
    mirror.mirror(model, { model: 'm', rows: [{ distance: 1 }], at: 5_000, requestId: 'early' });
    // The label arrives while the shadow is still queued: what the feedback route does.
    const record = ledger.get('early')!;
    record.labelled = true;
    creditServed({ stats, metrics: new ServingMetrics(stats, { defaultMetrics: false }) }, record, [{ score: 0.9, label: 1 }], 5_100);
    expect(record.awaitingShadow).toBe(true);
    const bytes = ledger.bytes;
    ledger.keepLabelsForShadow('early', record, [1], 5_100);
    expect(ledger.bytes).toBeGreaterThan(bytes);
    expect(stats.summarize('m', 2, 0, 10_000).feedback.labels).toBe(0);
    await tick();
    finish();
    await tick();
    expect(stats.summarize('m', 1, 0, 10_000).feedback.labels).toBe(1);
    expect(stats.summarize('m', 2, 0, 10_000).feedback).toMatchObject({ labels: 1, positives: 1 });
    // Paired on the same request: shadow log loss −ln 0.25 against the champion's −ln 0.9.
    const paired = stats.paired('m', 2, 1, 0, 10_000)!;
    expect(paired).toMatchObject({ against: 1, labels: 1, positives: 1, loss: 'logLoss' });
    // The kept labels were credited and dropped: the ledger is back to the record with its shadow prediction.
    expect(record.pendingLabels).toBeUndefined();
    expect(ledger.bytes).toBe(ledgerEntryBytes(record));
  });

  it('attaches a shadow that scores while the label is still being written to the inference log, so the label route credits it', async () => {
    const { ledger, mirror } = world(4);
    ledger.remember('mid', 'm', 1, new Float32Array([0.9]), 5_000);
    const { model, finish } = fakeShadow(2);
    mirror.mirror(model, { model: 'm', rows: [{ distance: 1 }], at: 5_000, requestId: 'mid' });
    // The feedback route has claimed the label and awaits the log: no pending labels yet.
    const record = ledger.get('mid')!;
    record.labelled = true;
    await tick();
    finish();
    await tick();
    // What the route finds after its append: the shadow's prediction, to credit with the label.
    expect(record.shadow).toMatchObject({ version: 2 });
    expect(record.awaitingShadow).toBe(false);
    expect(ledger.bytes).toBe(ledgerEntryBytes(record));
  });

  it('drops labels kept for a shadow that then failed, crediting nothing to it', async () => {
    const { stats, ledger, mirror } = world(4);
    ledger.remember('x', 'm', 1, new Float32Array([0.9]), 5_000);
    const { model, finish } = fakeShadow(3, true);
    mirror.mirror(model, { model: 'm', rows: [{}], at: 5_000, requestId: 'x' });
    const record = ledger.get('x')!;
    record.labelled = true;
    ledger.keepLabelsForShadow('x', record, [1], 5_100);
    await tick();
    finish();
    await tick();
    expect(record.pendingLabels).toBeUndefined();
    expect(record.awaitingShadow).toBe(false);
    expect(stats.summarize('m', 3, 0, 10_000).feedback.labels).toBe(0);
  });
});
