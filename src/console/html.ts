/**
 * The console's page frame and small HTML helpers. Pages are server-rendered strings; every
 * value from outside goes through `esc`. The only script is /ui/static/console.js (live
 * refresh of marked regions); charts arrive as static SVG rendered on the server.
 */
import type { Principal } from '../auth/principal';
import type { Role } from '../auth/roles';

export const esc = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Tagged template that escapes interpolations unless they are {@link Html}. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}
export const raw = (value: string): Html => new Html(value);
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += Array.isArray(v) ? v.map((x) => (x instanceof Html ? x.value : esc(x))).join('') : v instanceof Html ? v.value : esc(v);
    out += strings[i + 1];
  });
  return new Html(out);
}

/** What every page knows about the request. */
export interface PageContext {
  principal: Principal;
  /** This session's CSRF token, for forms. */
  csrf: string;
}

export const can = (ctx: PageContext, role: Role): boolean => ctx.principal.roles.includes('admin') || ctx.principal.roles.includes(role);

const NAV: [string, string][] = [
  ['/ui/models', 'Models'],
  ['/ui/runs', 'Runs'],
  ['/ui/canaries', 'Canaries'],
  ['/ui/data', 'Data'],
  ['/ui/serving', 'Serving'],
  ['/ui/training', 'Continuous training'],
  ['/ui/audit', 'Audit'],
];

export function page(ctx: PageContext | undefined, title: string, body: Html, active = ''): string {
  const nav = ctx
    ? html`<nav aria-label="Sections"><a class="brand" href="/ui/models">Slipway</a>${NAV.map(([href, label]) => html`<a href="${href}"${raw(active === href ? ' aria-current="page"' : '')}>${label}</a>`)}
<form method="post" action="/ui/logout" class="who"><span>${ctx.principal.name} (${ctx.principal.roles.join(', ')})</span>${csrfField(ctx)}<button type="submit">Sign out</button></form></nav>`
    : html`<nav aria-label="Sections"><span class="brand">Slipway</span></nav>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Slipway</title><link rel="stylesheet" href="/ui/static/console.css"><script src="/ui/static/console.js" defer></script></head>
<body><header>${nav}</header><main id="main"><h1>${esc(title)}</h1>
${body}</main></body></html>`;
}

export const csrfField = (ctx: PageContext): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;

/** A form posting to `action` with a reason field, shown only to `role`. */
export function actionForm(ctx: PageContext, role: Role, action: string, label: string, opts: { reason?: boolean; danger?: boolean; fields?: Html } = {}): Html {
  if (!can(ctx, role)) return raw('');
  const id = `reason-${action.replace(/[^a-z0-9]/gi, '-')}`;
  return html`<form method="post" action="${action}" class="action">${csrfField(ctx)}${opts.fields ?? ''}${
    opts.reason === false ? '' : html`<label for="${id}">Reason</label><input id="${id}" name="reason" required maxlength="2000">`
  }<button type="submit"${raw(opts.danger ? ' class="danger"' : '')}>${label}</button></form>`;
}

export function table(headers: string[], rows: Html[][], caption?: string): Html {
  if (rows.length === 0) return html`<p class="muted">${caption ? `${caption}: ` : ''}none yet.</p>`;
  return html`<table>${caption ? html`<caption>${caption}</caption>` : ''}<thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}

export const fmt = (v: unknown, digits = 4): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) < 0.001 && v !== 0 ? v.toExponential(2) : v.toFixed(digits);
};

export const when = (iso: string | undefined | null): Html =>
  iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>` : raw('–');

export const badge = (text: string, tone: 'ok' | 'bad' | 'warn' | 'info' = 'info'): Html => html`<span class="badge ${tone}">${text}</span>`;

export const shortSha = (uri: string | null | undefined): string => (uri ? uri.replace(/^artifact:\/\/sha256\//, '').slice(0, 12) : '–');

/** A link to an artifact through the console (cookie-authenticated twin of GET /v1/artifacts/:sha256). */
export const artifactLink = (uri: string | null | undefined, label?: string): Html => {
  const sha = uri?.match(/^artifact:\/\/sha256\/([0-9a-f]{64})$/)?.[1];
  return sha ? html`<a href="/ui/artifacts/${sha}">${label ?? sha.slice(0, 12)}</a>` : raw('–');
};

/** Links to pages 1..n around the current one, keeping other query parameters. */
export function pager(base: string, params: Record<string, string | undefined>, pageNo: number, hasNext: boolean): Html {
  const q = (p: number) => {
    const u = new URLSearchParams(Object.entries({ ...params, page: String(p) }).filter((kv): kv is [string, string] => kv[1] !== undefined && kv[1] !== ''));
    return `${base}?${u.toString()}`;
  };
  return html`<nav class="pager" aria-label="Pages">${pageNo > 1 ? html`<a href="${q(pageNo - 1)}" rel="prev">← Newer</a>` : ''}<span>page ${pageNo}</span>${hasNext ? html`<a href="${q(pageNo + 1)}" rel="next">Older →</a>` : ''}</nav>`;
}
