/** Audit: the log newest first with filters and cursor paging, and the chain verification. */
import type { AuditChainReport, AuditLog, AuditQuery } from '../../audit/audit-log';
import { badge, html, raw, table, when, type Html, type PageContext } from '../html';

const PAGE_SIZE = 50;

export interface AuditFilters {
  actor?: string;
  action?: string;
  targetPrefix?: string;
  /** Show entries older than this seq (the cursor of the "Older" link). */
  before?: number;
}

export async function auditPage(audit: AuditLog, _ctx: PageContext, f: AuditFilters, verified?: AuditChainReport): Promise<Html> {
  const query: AuditQuery = {
    actor: f.actor || undefined,
    action: (f.action || undefined) as AuditQuery['action'],
    targetPrefix: f.targetPrefix || undefined,
    beforeSeq: f.before,
    newestFirst: true,
    limit: PAGE_SIZE + 1,
  };
  const entries = await audit.list(query);
  const more = entries.length > PAGE_SIZE;
  const shown = entries.slice(0, PAGE_SIZE);
  const rows = shown.map((e) => [
    raw(String(e.seq)),
    when(e.at),
    html`${e.actor}`,
    html`<code>${e.action}</code>`,
    html`${e.target}`,
    html`${e.reason}`,
    html`<small>${e.origin}</small>`,
  ]);
  const params = (extra: Record<string, string>) =>
    new URLSearchParams(Object.entries({ actor: f.actor ?? '', action: f.action ?? '', targetPrefix: f.targetPrefix ?? '', ...extra }).filter((kv) => kv[1] !== '')).toString();
  const field = (name: keyof AuditFilters, label: string) => html`<label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${f[name] ?? ''}">`;
  const verdict = verified
    ? html`<p role="status">${verified.ok ? badge('chain intact', 'ok') : badge('chain broken', 'bad')} ${verified.checked} entries checked; head #${verified.head.seq} <code>${verified.head.hash.slice(0, 16)}</code>${verified.problem ? html`: ${verified.problem.message}` : ''}</p>`
    : raw('');
  return html`<form method="get" action="/ui/audit" class="inline" aria-label="Filters">${field('actor', 'Actor')}${field('action', 'Action')}${field('targetPrefix', 'Target prefix')}<button type="submit">Filter</button></form>
<form method="get" action="/ui/audit/verify" class="inline"><button type="submit">Verify the chain</button></form>${verdict}
${table(['#', 'at', 'actor', 'action', 'target', 'reason', 'origin'], rows, 'Audit log')}
<nav class="pager" aria-label="Pages">${f.before ? html`<a href="/ui/audit?${params({})}">Newest</a>` : ''}${more ? html`<a href="/ui/audit?${params({ before: String(shown.at(-1)!.seq) })}" rel="next">Older →</a>` : ''}</nav>`;
}
