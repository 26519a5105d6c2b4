import { expect, it } from 'vitest';
import { SqlAuditLog } from '../audit/sql-audit-log';
import { AccessControlError, PermissionDeniedError } from '../errors';
import { describeEachBackend, useTestStore } from '../../test/support/test-backends';
import type { SqlDatabase } from '../governance-db/sql-database';
import { decide } from './authorize';
import { EXPECTED_ROLES } from '../../test/support/role-matrix-fixture';
import type { Principal } from './principal';
import { ACTIONS, ROLES } from './roles';
import { SqlAccessControl } from './sql-access-control';
import { hashToken } from './tokens';

const TABLES = ['models', 'model_versions', 'aliases', 'alias_moves', 'audit_log', 'audit_head', 'principals', 'api_tokens', 'alias_grants', 'schema_migrations'];

describeEachBackend('access control', (backend) => {
  const store = useTestStore(backend);
  let clock = Date.UTC(2025, 0, 1);

  async function setUp(): Promise<{ db: SqlDatabase; access: SqlAccessControl; admin: Principal; adminToken: string }> {
    const db = await store().open();
    clock = Date.UTC(2025, 0, 1);
    const access = new SqlAccessControl(db, { now: () => new Date(clock) });
    const { token } = await access.bootstrap({ admin: 'root' }, { origin: 'cli' });
    return { db, access, admin: (await access.authenticate(token))!, adminToken: token };
  }

  it('bootstraps the first admin once, and never again', async () => {
    const { access, admin } = await setUp();
    expect(admin).toMatchObject({ name: 'root', roles: ['admin'], grants: [] });
    const err = await access.bootstrap({ admin: 'mallory' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessControlError);
    expect((err as AccessControlError).details.kind).toBe('conflict');
    expect((await access.listPrincipals()).map((p) => p.name)).toEqual(['root']);
  });

  it('authenticates every role through a real token and applies the role matrix (2xx / 401 / 403)', async () => {
    const { access, admin } = await setUp();
    const resource = { model: 'churn', alias: 'champion' };
    for (const role of ROLES) {
      await access.setPrincipal({ name: `u-${role}`, roles: [role] }, admin);
      await access.grant({ principal: `u-${role}`, model: 'churn' }, admin);
      const { token } = await access.createToken({ principal: `u-${role}`, label: role }, admin);
      const principal = await access.authenticate(token);
      expect(principal).toMatchObject({ name: `u-${role}`, roles: [role], grants: [{ model: 'churn', alias: '*' }] });
      for (const action of ACTIONS) {
        const decision = decide(principal, action, resource);
        expect({ role, action, status: decision.allowed ? 200 : decision.status }).toEqual({
          role,
          action,
          status: EXPECTED_ROLES[action].includes(role) ? 200 : 403,
        });
      }
    }
    const anonymous = await access.authenticate(undefined);
    expect(ACTIONS.map((a) => decide(anonymous, a, resource)).every((d) => !d.allowed && d.status === 401)).toBe(true);
  });

  it('never stores a token in plain text, only its sha256', async () => {
    const { db, access, admin, adminToken } = await setUp();
    await access.setPrincipal({ name: 'ci', roles: ['operator'] }, admin);
    const issued = await access.createToken({ principal: 'ci', label: 'ci runner' }, admin);

    const everything = JSON.stringify(await Promise.all(TABLES.map((t) => db.all(`SELECT * FROM ${t}`))));
    for (const token of [adminToken, issued.token]) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(token.slice(4));
      expect(everything).toContain(hashToken(token));
    }
    expect(await access.listTokens('ci')).toEqual([issued.info]);
    expect(JSON.stringify(await access.listTokens())).not.toContain(hashToken(issued.token));
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['malformed', 'not-a-token'],
    ['well-formed but unknown', `slw_${'A'.repeat(43)}`],
  ])('rejects a %s token', async (_label, token) => {
    const { access } = await setUp();
    expect(await access.authenticate(token)).toBeUndefined();
  });

  it('stops accepting a token once revoked, expired, or its principal disabled', async () => {
    const { access, admin } = await setUp();
    await access.setPrincipal({ name: 'bob', roles: ['viewer'] }, admin);
    const revoked = await access.createToken({ principal: 'bob', label: 'a' }, admin);
    const expiring = await access.createToken({ principal: 'bob', label: 'b', expiresAt: new Date(clock + 60_000).toISOString() }, admin);
    const other = await access.createToken({ principal: 'bob', label: 'c' }, admin);

    const info = await access.revokeToken(revoked.info.id, admin, { origin: 'api 10.0.0.7', reason: 'laptop lost' });
    expect(info).toMatchObject({ revokedBy: 'root', revokedAt: expect.any(String) });
    expect(await access.authenticate(revoked.token)).toBeUndefined();
    expect(await access.revokeToken(revoked.info.id, admin)).toEqual(info);

    expect(await access.authenticate(expiring.token)).toBeDefined();
    clock += 61_000;
    expect(await access.authenticate(expiring.token)).toBeUndefined();

    expect(await access.authenticate(other.token)).toBeDefined();
    await access.disablePrincipal('bob', admin);
    expect(await access.authenticate(other.token)).toBeUndefined();
  });

  it('lets only admins manage principals, tokens and grants, and writes nothing otherwise', async () => {
    const { access, admin } = await setUp();
    await access.setPrincipal({ name: 'eve', roles: ['approver', 'operator', 'viewer'] }, admin);
    const eve = (await access.authenticate((await access.createToken({ principal: 'eve', label: 'x' }, admin)).token))!;
    const before = await access.listTokens();

    await expect(access.createToken({ principal: 'eve', label: 'more' }, eve)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(access.setPrincipal({ name: 'eve', roles: ['admin'] }, eve)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(access.grant({ principal: 'eve', model: '*' }, eve)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(access.revokeToken(before[0].id, eve)).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(await access.listTokens()).toEqual(before);
    expect((await access.getPrincipal('eve'))?.roles).toEqual(['approver', 'operator', 'viewer']);
  });

  it('refuses to leave no enabled admin', async () => {
    const { access, admin } = await setUp();
    await expect(access.setPrincipal({ name: 'root', roles: ['viewer'] }, admin)).rejects.toMatchObject({ details: { kind: 'conflict' } });
    await expect(access.disablePrincipal('root', admin)).rejects.toMatchObject({ details: { kind: 'conflict' } });
    await access.setPrincipal({ name: 'second', roles: ['admin'] }, admin);
    await access.disablePrincipal('root', admin);
    expect((await access.getPrincipal('root'))?.disabledAt).not.toBeNull();
  });

  it('validates names, roles, labels, expiry and referenced principals', async () => {
    const { access, admin } = await setUp();
    const kind = (p: Promise<unknown>) => p.then(() => 'ok', (e: AccessControlError) => e.details.kind);
    expect(await kind(access.setPrincipal({ name: 'workflow:x', roles: ['admin'] }, admin))).toBe('invalid-input');
    expect(await kind(access.setPrincipal({ name: 'x', roles: ['root' as 'admin'] }, admin))).toBe('invalid-input');
    expect(await kind(access.createToken({ principal: 'nobody', label: 'x' }, admin))).toBe('unknown-principal');
    expect(await kind(access.createToken({ principal: 'root', label: '' }, admin))).toBe('invalid-input');
    expect(await kind(access.createToken({ principal: 'root', label: 'x', expiresAt: 'soon' }, admin))).toBe('invalid-input');
    expect(await kind(access.revokeToken('tok_nope', admin))).toBe('unknown-token');
    expect(await kind(access.grant({ principal: 'nobody', model: 'churn' }, admin))).toBe('unknown-principal');
  });

  it('grants and revokes alias moves per model, idempotently', async () => {
    const { access, admin } = await setUp();
    await access.setPrincipal({ name: 'ann', roles: ['approver'] }, admin);
    const { token } = await access.createToken({ principal: 'ann', label: 'x' }, admin);
    const canPromote = async (model: string) => decide(await access.authenticate(token), 'model.promote', { model, alias: 'champion' }).allowed;

    expect(await canPromote('churn')).toBe(false);
    const granted = await access.grant({ principal: 'ann', model: 'churn', alias: 'champion' }, admin);
    expect(granted).toMatchObject({ principal: 'ann', model: 'churn', alias: 'champion', grantedBy: 'root' });
    expect(await access.grant({ principal: 'ann', model: 'churn', alias: 'champion' }, admin)).toEqual(granted);
    expect(await canPromote('churn')).toBe(true);
    expect(await canPromote('fraud')).toBe(false);
    expect(await access.listGrants('ann')).toEqual([granted]);

    expect(await access.revokeGrant({ principal: 'ann', model: 'churn', alias: 'champion' }, admin)).toBe(true);
    expect(await access.revokeGrant({ principal: 'ann', model: 'churn', alias: 'champion' }, admin)).toBe(false);
    expect(await canPromote('churn')).toBe(false);
  });

  it('audits every change with actor, target, origin and reason, and nothing secret', async () => {
    const { db, access, admin } = await setUp();
    await access.setPrincipal({ name: 'ci', roles: ['operator'] }, admin, { origin: 'cli', reason: 'pipeline bot' });
    const issued = await access.createToken({ principal: 'ci', label: 'ci' }, admin, { origin: 'api 10.0.0.7' });
    await access.grant({ principal: 'ci', model: 'churn' }, admin);
    await access.revokeToken(issued.info.id, admin, { origin: 'api 10.0.0.7', reason: 'rotated' });

    const audit = new SqlAuditLog(db);
    const entries = await audit.list();
    expect(entries.map((e) => [e.actor, e.action, e.target, e.origin, e.reason])).toEqual([
      ['system:bootstrap', 'principal.change', 'principal:root', 'cli', ''],
      ['system:bootstrap', 'token.create', expect.stringMatching(/^token:tok_/), 'cli', ''],
      ['root', 'principal.change', 'principal:ci', 'cli', 'pipeline bot'],
      ['root', 'token.create', `token:${issued.info.id}`, 'api 10.0.0.7', ''],
      ['root', 'grant.change', 'principal:ci', 'unspecified', ''],
      ['root', 'token.revoke', `token:${issued.info.id}`, 'api 10.0.0.7', 'rotated'],
    ]);
    expect(JSON.stringify(entries)).not.toContain(issued.token);
    expect((await audit.verify()).ok).toBe(true);
  });
});
