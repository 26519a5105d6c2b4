import { describe, expect, it } from 'vitest';
import { ClaimError, decisionToken, inputDigest, runTicket, signClaim, verifyClaim } from './signed-claims';

const KEY = 'k'.repeat(40);
const ann = { name: 'ann', roles: ['approver'] as const, grants: [{ model: 'm', alias: 'champion' }] };

describe('signed claims', () => {
  it('round-trips a run ticket bound to the workflow and the input without its ticket', () => {
    const input = { pipeline: 'p', overrides: { a: { b: 1 } } };
    const claim = verifyClaim(KEY, runTicket(KEY, ann, 'wf-1', input));
    expect(claim).toMatchObject({ kind: 'run', workflowId: 'wf-1', principal: { name: 'ann' }, inputDigest: inputDigest({ ...input, ticket: 'anything' }) });
  });

  it.each([
    ['another key', (t: string) => verifyClaim('x'.repeat(40), t), /signature does not verify/],
    ['an altered body', (t: string) => verifyClaim(KEY, `${Buffer.from(Buffer.from(t.split('.')[0], 'base64url').toString().replace('ann', 'eve')).toString('base64url')}.${t.split('.')[1]}`), /signature does not verify/],
    ['junk', () => verifyClaim(KEY, 'not-a-claim'), /not a signed Slipway claim/],
    ['expiry', (t: string) => verifyClaim(KEY, t, Date.now() / 1000 + 3600), /claim expired/],
  ])('refuses %s', (_what, check, message) => {
    const token = decisionToken(KEY, ann, 'wf-1', 'approve');
    expect(() => check(token)).toThrow(ClaimError);
    expect(() => check(token)).toThrow(message);
  });

  it('signs canonically: key order does not change the token', () => {
    const a = signClaim(KEY, { kind: 'decision', principal: { name: 'a', roles: [], grants: [] }, workflowId: 'w', decision: 'reject', expiresAt: 1 });
    const b = signClaim(KEY, { expiresAt: 1, decision: 'reject', workflowId: 'w', principal: { grants: [], roles: [], name: 'a' }, kind: 'decision' });
    expect(a).toBe(b);
  });
});
