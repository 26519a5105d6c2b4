/**
 * {@link AccessControl} in the registry's database (SQLite or PostgreSQL). Every change locks
 * the audit head first, which serialises changes (needed for "first principal" and "last admin"
 * checks) and appends the audit entry in the same transaction.
 */
import { appendAuditEntry } from '../audit/sql-audit-log';
import type { AuditEntryInput } from '../audit/audit-log';
import { AccessControlError } from '../errors';
import type { SqlDatabase, SqlExecutor } from '../governance-db/sql-database';
import type {
  AccessControl,
  ActionContext,
  CreateTokenInput,
  GrantInfo,
  GrantInput,
  IssuedToken,
  PrincipalInfo,
  TokenInfo,
} from './access-control';
import { authorize } from './authorize';
import type { Principal } from './principal';
import { isRole, ROLES, type Role } from './roles';
import { generateToken, hashToken, looksLikeToken } from './tokens';

/** Options for {@link SqlAccessControl}. */
export interface SqlAccessControlOptions {
  /** @default () => new Date() */
  now?: () => Date;
}

/** No `:` so a principal can never pass for an automated actor such as `workflow:<id>`. */
const PRINCIPAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
const MAX_LABEL = 200;

interface PrincipalRow {
  name: string;
  roles: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
}

interface TokenRow {
  id: string;
  principal: string;
  label: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

interface GrantRow {
  principal: string;
  model: string;
  alias: string;
  granted_at: string;
  granted_by: string;
}

const TOKEN_COLUMNS = 'id, principal, label, created_at, created_by, expires_at, revoked_at, revoked_by';

export class SqlAccessControl implements AccessControl {
  private readonly now: () => Date;

  constructor(
    private readonly db: SqlDatabase,
    options: SqlAccessControlOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async authenticate(bearerToken: string | undefined): Promise<Principal | undefined> {
    if (!looksLikeToken(bearerToken)) return undefined;
    const row = await this.db.get<{ id: string; name: string; roles: string; expires_at: string | null }>(
      `SELECT t.id, p.name, p.roles, t.expires_at FROM api_tokens t JOIN principals p ON p.name = t.principal
       WHERE t.token_hash = ? AND t.revoked_at IS NULL AND p.disabled_at IS NULL`,
      [hashToken(bearerToken)],
    );
    if (!row || (row.expires_at !== null && Date.parse(row.expires_at) <= this.now().getTime())) return undefined;
    const grants = await this.db.all<{ model: string; alias: string }>('SELECT model, alias FROM alias_grants WHERE principal = ? ORDER BY model, alias', [
      row.name,
    ]);
    return { name: row.name, roles: parseRoles(row.roles), grants, tokenId: row.id };
  }

  async bootstrap(input: { admin: string; label?: string }, context: ActionContext = {}): Promise<IssuedToken> {
    assertPrincipalName(input.admin);
    return this.change(async (tx, at) => {
      const any = await tx.get('SELECT name FROM principals LIMIT 1');
      if (any) {
        throw accessError('conflict', 'Access control is already set up (principals exist); ask an admin for a token instead of bootstrapping');
      }
      await tx.run('INSERT INTO principals (name, roles, created_at, created_by, disabled_at) VALUES (?, ?, ?, ?, NULL)', [
        input.admin,
        JSON.stringify(['admin']),
        at,
        'bootstrap',
      ]);
      await this.audit(tx, at, context, { actor: 'system:bootstrap', action: 'principal.change', target: `principal:${input.admin}`, details: { roles: ['admin'] } });
      return this.issue(tx, at, { principal: input.admin, label: input.label ?? 'bootstrap' }, 'system:bootstrap', context);
    });
  }

  async setPrincipal(input: { name: string; roles: Role[] }, by: Principal, context: ActionContext = {}): Promise<PrincipalInfo> {
    authorize(by, 'token.manage');
    assertPrincipalName(input.name);
    if (!Array.isArray(input.roles) || !input.roles.every(isRole)) {
      throw accessError('invalid-input', `roles must be a list of ${ROLES.join(', ')}; got ${JSON.stringify(input.roles)}`, { field: 'roles' });
    }
    const roles = [...new Set(input.roles)];
    return this.change(async (tx, at) => {
      const before = await principalRow(tx, input.name);
      if (before) {
        await tx.run('UPDATE principals SET roles = ? WHERE name = ?', [JSON.stringify(roles), input.name]);
      } else {
        await tx.run('INSERT INTO principals (name, roles, created_at, created_by, disabled_at) VALUES (?, ?, ?, ?, NULL)', [
          input.name,
          JSON.stringify(roles),
          at,
          by.name,
        ]);
      }
      await assertAnAdminRemains(tx);
      await this.audit(tx, at, context, {
        actor: by.name,
        action: 'principal.change',
        target: `principal:${input.name}`,
        details: { roles, previousRoles: before ? parseRoles(before.roles) : null },
      });
      return toPrincipalInfo((await principalRow(tx, input.name))!);
    });
  }

  async disablePrincipal(name: string, by: Principal, context: ActionContext = {}): Promise<PrincipalInfo> {
    authorize(by, 'token.manage');
    return this.change(async (tx, at) => {
      const before = await principalRow(tx, name);
      if (!before) throw accessError('unknown-principal', `No principal named ${JSON.stringify(name)}`, { principal: name });
      if (before.disabled_at === null) {
        await tx.run('UPDATE principals SET disabled_at = ? WHERE name = ?', [at, name]);
        await assertAnAdminRemains(tx);
        await this.audit(tx, at, context, { actor: by.name, action: 'principal.change', target: `principal:${name}`, details: { disabled: true } });
      }
      return toPrincipalInfo((await principalRow(tx, name))!);
    });
  }

  async getPrincipal(name: string): Promise<PrincipalInfo | undefined> {
    const row = await principalRow(this.db, name);
    return row && toPrincipalInfo(row);
  }

  async listPrincipals(): Promise<PrincipalInfo[]> {
    return (await this.db.all<PrincipalRow>('SELECT * FROM principals ORDER BY name')).map(toPrincipalInfo);
  }

  async createToken(input: CreateTokenInput, by: Principal, context: ActionContext = {}): Promise<IssuedToken> {
    authorize(by, 'token.manage');
    if (typeof input.label !== 'string' || input.label.trim() === '' || input.label.length > MAX_LABEL) {
      throw accessError('invalid-input', `label must be a non-empty string of at most ${MAX_LABEL} characters`, { field: 'label' });
    }
    if (input.expiresAt !== undefined && Number.isNaN(Date.parse(input.expiresAt))) {
      throw accessError('invalid-input', `expiresAt must be an ISO 8601 time, got ${JSON.stringify(input.expiresAt)}`, { field: 'expiresAt' });
    }
    return this.change(async (tx, at) => {
      const principal = await principalRow(tx, input.principal);
      if (!principal) throw accessError('unknown-principal', `No principal named ${JSON.stringify(input.principal)}; create it first`, { principal: input.principal });
      if (principal.disabled_at !== null) throw accessError('conflict', `Principal ${input.principal} is disabled`, { principal: input.principal });
      return this.issue(tx, at, input, by.name, context);
    });
  }

  async revokeToken(id: string, by: Principal, context: ActionContext = {}): Promise<TokenInfo> {
    authorize(by, 'token.manage');
    return this.change(async (tx, at) => {
      const token = await tx.get<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`, [id]);
      if (!token) throw accessError('unknown-token', `No token with id ${JSON.stringify(id)}`, { tokenId: id });
      if (token.revoked_at === null) {
        await tx.run('UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?', [at, by.name, id]);
        await this.audit(tx, at, context, { actor: by.name, action: 'token.revoke', target: `token:${id}`, details: { tokenId: id, principal: token.principal } });
      }
      return toTokenInfo((await tx.get<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`, [id]))!);
    });
  }

  async listTokens(principal?: string): Promise<TokenInfo[]> {
    const rows =
      principal === undefined
        ? await this.db.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at DESC, id`)
        : await this.db.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE principal = ? ORDER BY created_at DESC, id`, [principal]);
    return rows.map(toTokenInfo);
  }

  async grant(input: GrantInput, by: Principal, context: ActionContext = {}): Promise<GrantInfo> {
    authorize(by, 'token.manage');
    const { model, alias } = grantTarget(input);
    return this.change(async (tx, at) => {
      if (!(await principalRow(tx, input.principal))) {
        throw accessError('unknown-principal', `No principal named ${JSON.stringify(input.principal)}`, { principal: input.principal });
      }
      const added = await tx.run(
        `INSERT INTO alias_grants (principal, model, alias, granted_at, granted_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (principal, model, alias) DO NOTHING`,
        [input.principal, model, alias, at, by.name],
      );
      if (added) {
        await this.audit(tx, at, context, { actor: by.name, action: 'grant.change', target: `principal:${input.principal}`, details: { granted: { model, alias } } });
      }
      const row = (await tx.get<GrantRow>('SELECT * FROM alias_grants WHERE principal = ? AND model = ? AND alias = ?', [input.principal, model, alias]))!;
      return toGrantInfo(row);
    });
  }

  async revokeGrant(input: GrantInput, by: Principal, context: ActionContext = {}): Promise<boolean> {
    authorize(by, 'token.manage');
    const { model, alias } = grantTarget(input);
    return this.change(async (tx, at) => {
      const removed = await tx.run('DELETE FROM alias_grants WHERE principal = ? AND model = ? AND alias = ?', [input.principal, model, alias]);
      if (removed) {
        await this.audit(tx, at, context, { actor: by.name, action: 'grant.change', target: `principal:${input.principal}`, details: { revoked: { model, alias } } });
      }
      return removed > 0;
    });
  }

  async listGrants(principal?: string): Promise<GrantInfo[]> {
    const rows =
      principal === undefined
        ? await this.db.all<GrantRow>('SELECT * FROM alias_grants ORDER BY principal, model, alias')
        : await this.db.all<GrantRow>('SELECT * FROM alias_grants WHERE principal = ? ORDER BY model, alias', [principal]);
    return rows.map(toGrantInfo);
  }

  /** One write transaction, serialised with every other change by the audit head's lock. */
  private change<T>(work: (tx: SqlExecutor, at: string) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.get(`SELECT seq FROM audit_head WHERE id = 1${tx.forUpdate}`);
      return work(tx, this.now().toISOString());
    });
  }

  private async issue(tx: SqlExecutor, at: string, input: CreateTokenInput, actor: string, context: ActionContext): Promise<IssuedToken> {
    const { token, id, hash } = generateToken();
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString();
    await tx.run(`INSERT INTO api_tokens (${TOKEN_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)`, [
      id,
      input.principal,
      input.label,
      at,
      actor,
      expiresAt,
      hash,
    ]);
    await this.audit(tx, at, context, {
      actor,
      action: 'token.create',
      target: `token:${id}`,
      details: { tokenId: id, principal: input.principal, label: input.label, expiresAt },
    });
    return { token, info: { id, principal: input.principal, label: input.label, createdAt: at, createdBy: actor, expiresAt, revokedAt: null, revokedBy: null } };
  }

  private async audit(tx: SqlExecutor, at: string, context: ActionContext, entry: Omit<AuditEntryInput, 'origin' | 'reason'>): Promise<void> {
    await appendAuditEntry(tx, { ...entry, reason: context.reason ?? '', origin: context.origin }, at);
  }
}

function principalRow(on: SqlExecutor, name: string): Promise<PrincipalRow | undefined> {
  return on.get<PrincipalRow>('SELECT * FROM principals WHERE name = ?', [name]);
}

/** Without an enabled admin nobody could ever manage tokens again. */
async function assertAnAdminRemains(tx: SqlExecutor): Promise<void> {
  const enabled = await tx.all<{ roles: string }>('SELECT roles FROM principals WHERE disabled_at IS NULL');
  if (!enabled.some((p) => parseRoles(p.roles).includes('admin'))) {
    throw accessError('conflict', 'This change would leave no enabled admin; make someone else admin first');
  }
}

function grantTarget(input: GrantInput): { model: string; alias: string } {
  const alias = input.alias ?? '*';
  for (const [field, value] of [['model', input.model], ['alias', alias]] as const) {
    if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
      throw accessError('invalid-input', `${field} must be a name or "*", got ${JSON.stringify(value)}`, { field });
    }
  }
  return { model: input.model, alias };
}

function assertPrincipalName(name: unknown): void {
  if (typeof name !== 'string' || !PRINCIPAL_NAME.test(name)) {
    throw accessError('invalid-input', `principal name must match ${PRINCIPAL_NAME} (letters, digits, . _ @ -), got ${JSON.stringify(name)}`, {
      field: 'name',
    });
  }
}

function parseRoles(text: string): Role[] {
  const roles = JSON.parse(text) as unknown;
  return Array.isArray(roles) ? roles.filter(isRole) : [];
}

function accessError(kind: 'invalid-input' | 'unknown-principal' | 'unknown-token' | 'conflict', message: string, details: Record<string, unknown> = {}) {
  return new AccessControlError(message, { details: { kind, ...details } });
}

const toPrincipalInfo = (r: PrincipalRow): PrincipalInfo => ({
  name: r.name,
  roles: parseRoles(r.roles),
  createdAt: r.created_at,
  createdBy: r.created_by,
  disabledAt: r.disabled_at,
});

const toTokenInfo = (r: TokenRow): TokenInfo => ({
  id: r.id,
  principal: r.principal,
  label: r.label,
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

const toGrantInfo = (r: GrantRow): GrantInfo => ({
  principal: r.principal,
  model: r.model,
  alias: r.alias,
  grantedAt: r.granted_at,
  grantedBy: r.granted_by,
});
