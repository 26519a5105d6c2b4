/** Serving: per model and version, from the model server's admin API: weight, request rate, latency percentiles, errors, traffic share. */
import type { ConsoleDeps } from '../console-deps';
import { badge, fmt, html, raw, table, type Html } from '../html';

const WINDOW_MS = 5 * 60_000;

export async function servingPage(deps: ConsoleDeps): Promise<Html> {
  if (!deps.serving) return html`<p class="muted">No model server configured for the API (set SLIPWAY_SERVE_URL and SLIPWAY_SERVE_ADMIN_TOKEN).</p>`;
  const serving = deps.serving;
  const models = await deps.registry.listModels();
  const sections = await Promise.all(
    models.map(async (m) => {
      const deployment = await serving.getDeployment(m.model).catch((err: Error) => err);
      if (deployment instanceof Error) return html`<h2>${m.model}</h2><p class="bad">Model server unreachable: ${deployment.message}</p>`;
      if (!deployment) return html`<h2>${m.model}</h2><p class="muted">Not deployed.</p>`;
      const versions = deployment.versions.map((v) => v.version);
      const stats = await serving.stats(m.model, versions, Date.now() - WINDOW_MS);
      const total = [...stats.versions.values()].reduce((n, w) => n + w.requests, 0);
      const seconds = Math.max(1, (Date.parse(stats.to) - Math.max(Date.parse(stats.from), Date.parse(stats.serverStartedAt))) / 1000);
      const rows = deployment.versions.map((d) => {
        const w = stats.versions.get(d.version)!;
        return [
          html`v${d.version}${m.aliases.champion === d.version ? html` ${badge('champion', 'ok')}` : ''}`,
          raw(`${d.weight}%`),
          raw(total ? `${fmt((w.requests / total) * 100, 1)}%` : '–'),
          raw(fmt(w.requests / seconds, 2)),
          raw(`${fmt(w.p50Ms, 1)} / ${fmt(w.p90Ms, 1)} / ${fmt(w.p99Ms, 1)}`),
          raw(`${fmt(w.errors)}${w.errorRate ? ` (${fmt(w.errorRate * 100, 2)}%)` : ''}`),
          raw(w.labels ? `${fmt(w.auc, 3)} (${w.labels} labels)` : '–'),
        ];
      });
      return html`<h2>${m.model} <small>revision ${deployment.revision}</small></h2>${table(['version', 'weight', 'traffic share', 'requests/s', 'latency p50 / p90 / p99 ms', 'errors', 'live AUC'], rows)}`;
    }),
  );
  return html`<p>Last ${WINDOW_MS / 60_000} minutes from <code>${deps.serving.baseUrl}</code>.</p>${sections}`;
}
