/**
 * `slipway audit verify | list`, `slipway tokens bootstrap | create | list | revoke`,
 * `slipway principals list | set | disable`, `slipway grants list | add | revoke`.
 * They work on the registry database directly; changes need SLIPWAY_TOKEN of an admin
 * (except `tokens bootstrap`, which works only while there are no principals).
 */
import type { Command } from 'commander';
import type { AuditEntry } from '../../audit/audit-log';
import { isRole, ROLES, type Role } from '../../auth/roles';
import { cliPrincipal, CliError, print, withGovernance } from '../context';

/** Exit code of `audit verify` when the chain is broken (2 stays "the command failed"). */
export const AUDIT_BROKEN_EXIT = 4;

const origin = 'cli';
const formatEntry = (e: AuditEntry): string =>
  `#${String(e.seq).padEnd(5)} ${e.at}  ${e.actor.padEnd(20)} ${e.action.padEnd(16)} ${e.target}${e.reason ? `  "${e.reason}"` : ''}  (${e.origin})`;

export function registerGovernanceCommands(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description(`re-hash the whole chain; exit 0 when intact, ${AUDIT_BROKEN_EXIT} naming the first edited or deleted entry`)
    .option('--expect-seq <n>', 'a head recorded earlier (seq) that the log must still contain')
    .option('--expect-hash <hash>', 'the hash recorded with --expect-seq')
    .option('--json')
    .action(async (o: { expectSeq?: string; expectHash?: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        await cliPrincipal(governance, config, 'audit.read');
        if ((o.expectSeq === undefined) !== (o.expectHash === undefined)) throw new CliError('give --expect-seq and --expect-hash together');
        const report = await governance.audit.verify(o.expectSeq === undefined ? undefined : { seq: Number(o.expectSeq), hash: o.expectHash! });
        print(!!o.json, report, () =>
          report.ok
            ? `audit log intact: ${report.checked} entries; head seq ${report.head.seq} hash ${report.head.hash}`
            : `audit log BROKEN at entry ${report.problem!.index} (seq ${report.problem!.seq ?? 'none'}, ${report.problem!.kind}): ${report.problem!.message}`,
        );
        if (!report.ok) process.exitCode = AUDIT_BROKEN_EXIT;
      }),
    );
  audit
    .command('list')
    .description('audit entries, newest first')
    .option('--target <prefix>', 'target or target prefix, e.g. model:flight-delay or run:<workflow-id>')
    .option('--actor <name>')
    .option('--action <action>', 'e.g. model.rollback')
    .option('--limit <n>', 'how many (at most 1000)', '50')
    .option('--json')
    .action(async (o: { target?: string; actor?: string; action?: string; limit: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        await cliPrincipal(governance, config, 'audit.read');
        const entries = await governance.audit.list({
          targetPrefix: o.target,
          actor: o.actor,
          action: o.action as AuditEntry['action'] | undefined,
          limit: Number(o.limit),
          newestFirst: true,
        });
        print(!!o.json, entries, () => (entries.length === 0 ? 'no entries' : entries.map(formatEntry).join('\n')));
      }),
    );

  const tokens = program.command('tokens').description('API tokens (admin)');
  tokens
    .command('bootstrap')
    .description('create the first admin and its token; works only while there are no principals')
    .argument('<admin>', 'name of the first admin, e.g. alice')
    .option('--json')
    .action(async (admin: string, o: { json?: boolean }) =>
      withGovernance(async (governance) => {
        const issued = await governance.access.bootstrap({ admin }, { origin });
        print(!!o.json, issued, () => `admin ${admin} created; token (shown once, keep it secret):\n${issued.token}`);
      }),
    );
  tokens
    .command('create')
    .argument('<principal>')
    .requiredOption('--label <text>', 'what the token is for, e.g. ci')
    .option('--expires <iso>', 'expiry time, ISO 8601')
    .option('--reason <text>')
    .option('--json')
    .action(async (principal: string, o: { label: string; expires?: string; reason?: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        const by = await cliPrincipal(governance, config, 'token.manage');
        const issued = await governance.access.createToken({ principal, label: o.label, expiresAt: o.expires }, by, { origin, reason: o.reason });
        print(!!o.json, issued, () => `token ${issued.info.id} for ${principal} (shown once, keep it secret):\n${issued.token}`);
      }),
    );
  tokens
    .command('list')
    .option('--principal <name>')
    .option('--json')
    .action(async (o: { principal?: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        await cliPrincipal(governance, config, 'token.manage');
        const list = await governance.access.listTokens(o.principal);
        print(!!o.json, list, () =>
          list.length === 0
            ? 'no tokens'
            : list.map((t) => `${t.id}  ${t.principal.padEnd(16)} ${t.label.padEnd(16)} ${t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt ? `expires ${t.expiresAt}` : 'active'}`).join('\n'),
        );
      }),
    );
  tokens
    .command('revoke')
    .argument('<id>', 'token id, e.g. tok_0123abcd…')
    .option('--reason <text>')
    .action(async (id: string, o: { reason?: string }) =>
      withGovernance(async (governance, config) => {
        const by = await cliPrincipal(governance, config, 'token.manage');
        const info = await governance.access.revokeToken(id, by, { origin, reason: o.reason });
        print(false, info, () => `revoked ${info.id} (${info.principal})`);
      }),
    );

  const principals = program.command('principals').description('who may use the API, with which roles (admin)');
  principals
    .command('list')
    .option('--json')
    .action(async (o: { json?: boolean }) =>
      withGovernance(async (governance, config) => {
        await cliPrincipal(governance, config, 'token.manage');
        const list = await governance.access.listPrincipals();
        print(!!o.json, list, () => list.map((p) => `${p.name.padEnd(20)} ${p.roles.join(',').padEnd(28)} ${p.disabledAt ? 'disabled' : ''}`.trimEnd()).join('\n'));
      }),
    );
  principals
    .command('set')
    .description('create a principal or replace its roles')
    .argument('<name>')
    .requiredOption('--role <role...>', ROLES.join(' | '))
    .option('--reason <text>')
    .action(async (name: string, o: { role: string[]; reason?: string }) =>
      withGovernance(async (governance, config) => {
        const bad = o.role.filter((r) => !isRole(r));
        if (bad.length) throw new CliError(`--role ${bad.join(', ')}: roles are ${ROLES.join(', ')}`);
        const by = await cliPrincipal(governance, config, 'token.manage');
        const info = await governance.access.setPrincipal({ name, roles: o.role as Role[] }, by, { origin, reason: o.reason });
        print(false, info, () => `${info.name}: ${info.roles.join(', ')}`);
      }),
    );
  principals
    .command('disable')
    .argument('<name>')
    .option('--reason <text>')
    .action(async (name: string, o: { reason?: string }) =>
      withGovernance(async (governance, config) => {
        const by = await cliPrincipal(governance, config, 'token.manage');
        await governance.access.disablePrincipal(name, by, { origin, reason: o.reason });
        print(false, null, () => `${name} disabled; its tokens no longer work`);
      }),
    );

  const grants = program.command('grants').description('per-model permission to move aliases (admin)');
  grants
    .command('list')
    .option('--principal <name>')
    .option('--json')
    .action(async (o: { principal?: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        await cliPrincipal(governance, config, 'token.manage');
        const list = await governance.access.listGrants(o.principal);
        print(!!o.json, list, () => (list.length === 0 ? 'no grants' : list.map((g) => `${g.principal.padEnd(20)} ${g.model}@${g.alias}  by ${g.grantedBy}`).join('\n')));
      }),
    );
  for (const verb of ['add', 'revoke'] as const) {
    grants
      .command(verb)
      .argument('<principal>')
      .argument('<model>', 'model name, or * for every model')
      .option('--alias <alias>', 'alias name, or * for every alias', '*')
      .option('--reason <text>')
      .action(async (principal: string, model: string, o: { alias: string; reason?: string }) =>
        withGovernance(async (governance, config) => {
          const by = await cliPrincipal(governance, config, 'token.manage');
          const input = { principal, model, alias: o.alias };
          if (verb === 'add') await governance.access.grant(input, by, { origin, reason: o.reason });
          else if (!(await governance.access.revokeGrant(input, by, { origin, reason: o.reason }))) throw new CliError(`${principal} has no grant on ${model}@${o.alias}`);
          print(false, null, () => `${verb === 'add' ? 'granted' : 'revoked'}: ${principal} may${verb === 'add' ? '' : ' no longer'} move ${model}@${o.alias}`);
        }),
      );
  }
}
