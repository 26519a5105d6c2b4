/**
 * Attack: move traffic without a trace. A model server split change decides which version
 * answers users, yet it was not audited. Now every change made through the admin API (set or
 * remove a deployment) is appended to the hash-chained audit log with the actor, the target,
 * the reason and the origin; a refused or no-op request records nothing and leaves the
 * deployment as it was.
 */
import { describe, expect, it } from 'vitest';
import { call } from '../serving/serving-fixtures';
import { MODEL, useAttackWorld } from './support/trust-serving-world';

const w = useAttackWorld({ weights: [90, 10] });

const path = `/admin/v1/models/${MODEL}/deployment`;
const split = (champion: number, canary: number, extra: Record<string, unknown> = {}) => ({ versions: [{ version: w().champion, weight: champion }, { version: w().canary, weight: canary }], ...extra });

describe('model server split changes in the audit log', () => {
  it('records who changed a split, on what, why and from where, chained to the log', async () => {
    const before = await w().auditHead();
    const res = await call(w().base, 'PUT', path, split(50, 50, { reason: 'canary step 2 of 3' }), { token: w().tokens.abe });
    expect(res.status).toBe(200);
    const [entry] = await w().governance.audit.list({ afterSeq: before.seq });
    expect(entry).toMatchObject({
      actor: 'abe',
      action: 'deployment.change',
      target: `deployment:${MODEL}`,
      reason: 'canary step 2 of 3',
      origin: expect.stringMatching(/^model-server (::ffff:)?127\.0\.0\.1$/),
      details: {
        revision: res.body.deployment.revision,
        versions: [{ version: w().champion, weight: 50 }, { version: w().canary, weight: 50 }],
        previous: { revision: res.body.deployment.revision - 1, versions: [{ version: w().champion, weight: 90 }, { version: w().canary, weight: 10 }] },
      },
      prevHash: before.hash,
    });
    expect((await w().governance.audit.verify()).ok).toBe(true);
  });

  it('records nothing and changes nothing for refused and no-op requests', async () => {
    const head = await w().auditHead();
    const deployed = (await w().deployment()).body;
    const attempts: [string, () => Promise<{ status: number }>, number][] = [
      ['no token', () => call(w().base, 'PUT', path, split(0, 100), { token: null }), 401],
      ['viewer', () => call(w().base, 'PUT', path, split(0, 100), { token: w().tokens.vera }), 403],
      ['labeler', () => call(w().base, 'DELETE', path, undefined, { token: w().tokens.lena }), 403],
      ['unknown version', () => call(w().base, 'PUT', path, { versions: [{ version: 99, weight: 1 }] }, { token: w().tokens.abe }), 422],
      ['stale revision', () => call(w().base, 'PUT', path, split(0, 100, { expectedRevision: 1 }), { token: w().tokens.abe }), 409],
      ['bad body', () => call(w().base, 'PUT', path, { versions: [] }, { token: w().tokens.abe }), 400],
      ['the same split again', () => call(w().base, 'PUT', path, split(50, 50), { token: w().tokens.root }), 200],
    ];
    for (const [what, attempt, status] of attempts) {
      expect({ what, status: (await attempt()).status }).toEqual({ what, status });
      expect({ what, head: await w().auditHead() }).toEqual({ what, head });
      expect({ what, deployed: (await w().deployment()).body }).toEqual({ what, deployed });
    }
  });

  it('records a removal with its reason header and the previous split', async () => {
    const before = await w().auditHead();
    const res = await call(w().base, 'DELETE', path, undefined, { headers: { 'x-slipway-reason': 'model retired' } });
    expect(res.status).toBe(200);
    const [entry] = await w().governance.audit.list({ afterSeq: before.seq });
    expect(entry).toMatchObject({
      actor: 'env:serve-admin',
      action: 'deployment.remove',
      target: `deployment:${MODEL}`,
      reason: 'model retired',
      details: { previous: { versions: [{ version: w().champion, weight: 50 }, { version: w().canary, weight: 50 }] } },
    });
    expect((await w().deployment()).status).toBe(404);
    // Removing what is not deployed is refused (404) and records nothing.
    const head = await w().auditHead();
    expect((await call(w().base, 'DELETE', path)).status).toBe(404);
    expect(await w().auditHead()).toEqual(head);
  });
});
