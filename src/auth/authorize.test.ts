import { describe, expect, it } from 'vitest';
import { AuthenticationError, PermissionDeniedError } from '../errors';
import { authorize, decide } from './authorize';
import type { AliasGrant, Principal } from './principal';
import { EXPECTED_ROLES } from '../../test/support/role-matrix-fixture';
import { ACTIONS, ROLES, type Action, type Role } from './roles';
import { bearerToken, generateToken, hashToken, looksLikeToken } from './tokens';


const EVERYTHING: AliasGrant[] = [{ model: '*', alias: '*' }];
const who = (roles: Role[], grants: AliasGrant[] = EVERYTHING): Principal => ({ name: `p-${roles.join('-') || 'none'}`, roles, grants });
const churn = { model: 'churn', alias: 'champion' };

describe('authorize', () => {
  it('has an expectation for every action', () => {
    expect(Object.keys(EXPECTED_ROLES).sort()).toEqual([...ACTIONS].sort());
  });

  describe.each(ACTIONS)('%s', (action) => {
    it.each(ROLES)('as %s', (role) => {
      const allowed = EXPECTED_ROLES[action].includes(role);
      expect(decide(who([role]), action, churn)).toEqual(allowed ? { allowed: true } : expect.objectContaining({ allowed: false, status: 403 }));
      if (allowed) expect(() => authorize(who([role]), action, churn)).not.toThrow();
      else expect(() => authorize(who([role]), action, churn)).toThrow(PermissionDeniedError);
    });

    it('without a principal: 401', () => {
      expect(decide(undefined, action, churn)).toMatchObject({ allowed: false, status: 401 });
      expect(() => authorize(undefined, action, churn)).toThrow(AuthenticationError);
    });

    it('with no roles at all: 403', () => {
      expect(decide(who([]), action, churn)).toMatchObject({ allowed: false, status: 403 });
    });
  });

  it('gives a principal with several roles the union of what they allow', () => {
    const both = who(['operator', 'approver']);
    expect(ACTIONS.filter((a) => decide(both, a, churn).allowed).sort()).toEqual(
      ACTIONS.filter((a) => EXPECTED_ROLES[a].includes('operator') || EXPECTED_ROLES[a].includes('approver')).sort(),
    );
  });

  describe('per-model grants on alias moves', () => {
    const moves: Action[] = ['model.promote', 'model.rollback', 'alias.move', 'run.approve', 'deployment.change'];

    it.each(moves)('lets an approver %s only where a grant covers the model and alias', (action) => {
      const approver = who(['approver'], [{ model: 'churn', alias: 'champion' }, { model: 'fraud', alias: '*' }]);
      expect(decide(approver, action, { model: 'churn', alias: 'champion' }).allowed).toBe(true);
      expect(decide(approver, action, { model: 'churn', alias: 'production' })).toMatchObject({ allowed: false, status: 403 });
      expect(decide(approver, action, { model: 'fraud', alias: 'anything' }).allowed).toBe(true);
      expect(decide(approver, action, { model: 'ads', alias: 'champion' })).toMatchObject({ allowed: false, status: 403 });
      expect(decide(approver, action, {})).toMatchObject({ allowed: false, status: 403 });
    });

    it('lets a labeler post feedback only for a model a grant names, and nothing else', () => {
      const labeler = who(['labeler'], [{ model: 'churn', alias: '*' }]);
      expect(decide(labeler, 'feedback', { model: 'churn' }).allowed).toBe(true);
      expect(decide(labeler, 'feedback', { model: 'fraud' })).toMatchObject({ allowed: false, status: 403 });
      expect(decide(labeler, 'feedback', {})).toMatchObject({ allowed: false, status: 403 });
      expect(decide(who(['labeler'], []), 'feedback', { model: 'churn' })).toMatchObject({ allowed: false, status: 403 });
      expect(ACTIONS.filter((a) => decide(labeler, a, churn).allowed)).toEqual(['feedback', 'predictions.log']);
    });

    it('lets an admin move any alias without a grant, and never lets a grant replace the role', () => {
      expect(decide(who(['admin'], []), 'model.promote', churn).allowed).toBe(true);
      expect(decide(who(['operator'], EVERYTHING), 'model.promote', churn)).toMatchObject({ allowed: false, status: 403 });
    });

    it('needs a grant to reject as to approve: keeping a candidate out is the model owner\'s decision too', () => {
      expect(decide(who(['approver'], []), 'run.reject', churn).allowed).toBe(false);
      expect(decide(who(['approver'], [{ model: churn.model!, alias: '*' }]), 'run.reject', churn).allowed).toBe(true);
    });

    it('explains the refusal and carries the context on the error', () => {
      const err = (() => {
        try {
          authorize(who(['approver'], []), 'model.promote', churn);
        } catch (e) {
          return e as PermissionDeniedError;
        }
      })();
      expect(err).toBeInstanceOf(PermissionDeniedError);
      expect(err?.statusCode).toBe(403);
      expect(err?.message).toContain('no grant to move aliases of churn@champion');
      expect(err?.details).toMatchObject({ action: 'model.promote', principal: 'p-approver', requiredRole: 'approver', model: 'churn' });
    });
  });
});

describe('API tokens', () => {
  it('are 32 random bytes with a recognisable prefix, and hash to their sha256', () => {
    const { token, id, hash } = generateToken();
    expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(id).toMatch(/^tok_[0-9a-f]{16}$/);
    expect(hash).toBe(hashToken(token));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(generateToken().token).not.toBe(token);
  });

  it('are recognised by shape and read from an Authorization header', () => {
    const { token } = generateToken();
    expect(looksLikeToken(token)).toBe(true);
    expect(looksLikeToken(`${token}x`)).toBe(false);
    expect(looksLikeToken(undefined)).toBe(false);
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(`bearer  ${token} `)).toBe(token);
    expect(bearerToken(`Basic ${token}`)).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
