/**
 * Attack: decide a canary with forged labels. Labels are what the canary analysis and the
 * live-quality trigger judge a version by, and the default `minLabels: 100` is met by one
 * batch request. The model server takes labels only from authenticated label sources
 * (labeler role with a grant on the model, or admin), only for request ids it issued, once
 * each, within each source's quota; every refusal leaves the stats, the ledger (the id can
 * still be labelled by a real source) and the audit log as they were.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call } from '../serving/serving-fixtures';
import { labelCounts, MODEL, rows, useAttackWorld, truth } from './support/trust-serving-world';

const w = useAttackWorld({ env: { SLIPWAY_SERVE_LABEL_QUOTA: '250' } });

const predict = async (n: number) => {
  const res = await call(w().base, 'POST', `/v1/models/${MODEL}/predict`, { rows: rows(n) }, { token: null });
  expect(res.status).toBe(200);
  return res.body as { requestId: string; version: number };
};
const feedback = (body: unknown, token: string | null) => call(w().base, 'POST', `/v1/models/${MODEL}/feedback`, body, { token });
const inverted = (n: number) => truth(n).map((y) => 1 - y);

/** Runs `attempt` and checks that the stats and the audit head are what they were. */
async function refusedWithoutChange(attempt: () => Promise<{ status: number; body: any; headers: Headers }>, status: number) {
  const [statsBefore, headBefore] = [await w().stats(), await w().auditHead()];
  const res = await attempt();
  expect(res.status).toBe(status);
  const statsAfter = await w().stats();
  expect(labelCounts(statsAfter)).toEqual(labelCounts(statsBefore));
  expect(statsAfter.versions.map((v: any) => v.feedback)).toEqual(statsBefore.versions.map((v: any) => v.feedback));
  expect(await w().auditHead()).toEqual(headBefore);
  return res;
}

describe('forged feedback', () => {
  it('refuses 100 inverted labels from an anonymous caller, which would have met minLabels in one request', async () => {
    const { requestId, version } = await predict(100);
    const res = await refusedWithoutChange(() => feedback({ requestId, labels: inverted(100) }, null), 401);
    expect(res.body.message).toMatch(/Feedback refused: no valid API token/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    // The ledger is unchanged too: a real label source can still label that request, once.
    expect((await feedback({ requestId, labels: truth(100) }, w().tokens.lena)).body).toEqual({ requestId, version, labels: 100 });
  });

  it('refuses an unknown token and every principal without the feedback grant for this model', async () => {
    const { requestId } = await predict(4);
    await refusedWithoutChange(() => feedback({ requestId, labels: inverted(4) }, 'slw_' + 'A'.repeat(43)), 401);
    for (const [who, reason] of [
      ['vera', /vera \(roles: viewer\) may not feedback .*needs the labeler role/],
      ['otto', /otto \(roles: operator\) may not feedback/],
      ['abe', /abe \(roles: approver\) may not feedback/],
      ['lou', /lou has the labeler role but no grant on model flights/],
    ] as const) {
      const res = await refusedWithoutChange(() => feedback({ requestId, labels: inverted(4) }, w().tokens[who]), 403);
      expect(res.body.message).toMatch(reason);
    }
  });

  it('refuses labels for request ids the server never issued, and a second label for the same id', async () => {
    const res = await refusedWithoutChange(() => feedback({ requestId: randomUUID(), label: 1 }, w().tokens.lena), 404);
    expect(res.body.message).toMatch(/label only request ids this server issued/);
    const { requestId } = await predict(2);
    expect((await feedback({ requestId, labels: truth(2) }, w().tokens.lena)).status).toBe(200);
    const again = await refusedWithoutChange(() => feedback({ requestId, labels: inverted(2) }, w().tokens.root), 409);
    expect(again.body.message).toMatch(/already has its label/);
  });

  it('holds each label source to its quota, all or nothing, while other sources keep labelling', async () => {
    // lena used 100 + 2 of her 250 labels above; 100 more fit, the next 100 do not.
    const first = await predict(100);
    expect((await feedback({ requestId: first.requestId, labels: truth(100) }, w().tokens.lena)).status).toBe(200);
    const second = await predict(100);
    const over = await refusedWithoutChange(() => feedback({ requestId: second.requestId, labels: inverted(100) }, w().tokens.lena), 429);
    expect(over.body.message).toMatch(/Label source lena used its quota of 250 labels a minute/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // Nothing of the refused batch was taken: another source labels the same request in full.
    expect((await feedback({ requestId: second.requestId, labels: truth(100) }, w().tokens.root)).body.labels).toBe(100);
  });
});
