/** Reading Prometheus text exposition and Grafana dashboard queries, for the observability tests. */

/** Metric family name → type, from the `# TYPE` lines; a histogram also answers for its _bucket/_sum/_count series. */
export function metricFamilies(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (m) families.set(m[1], m[2]);
  }
  for (const [name, type] of [...families]) {
    if (type === 'histogram' || type === 'summary') for (const s of ['_bucket', '_sum', '_count']) families.set(`${name}${s}`, `${type}${s}`);
  }
  return families;
}

/** Every metric name the dashboard's PromQL expressions read (identifiers of Slipway, SDK and process families). */
export function dashboardMetricNames(dashboard: { panels?: Array<{ targets?: Array<{ expr?: string }> }> }): string[] {
  const names = new Set<string>();
  for (const panel of dashboard.panels ?? []) {
    for (const target of panel.targets ?? []) {
      // Label names and values sit inside {...} or by(...): drop those before looking for metric names.
      const expr = (target.expr ?? '').replace(/\{[^}]*\}/g, '').replace(/\b(by|without)\s*\([^)]*\)/g, '');
      for (const m of expr.matchAll(/\b(slipway|temporal|process|nodejs)_[a-z0-9_]+/g)) names.add(m[0]);
    }
  }
  return [...names].sort();
}
