/** Renders a {@link ValidationReport} as one self-contained HTML page. */
import { checkLabel } from './check-result';
import { barChart, escapeHtml as h } from './svg-chart';
import type { ValidationReport } from './validation-report';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#1d2430}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #dde}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eef;text-align:left;vertical-align:top}
.fail{color:#b00020;font-weight:600}.warn{color:#a15c00;font-weight:600}.pass{color:#1b7f3b}.skipped,.muted{color:#778}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff}.badge.fail{background:#b00020}.badge.pass{background:#1b7f3b}
figure{margin:1rem 0}figcaption{font-weight:600}`;

export async function renderReportHtml(r: ValidationReport): Promise<string> {
  const verdict = r.passed ? '<span class="badge pass">PASSED</span>' : '<span class="badge fail">FAILED</span>';
  const problems = r.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  const rows = r.checks
    .map((c) => `<tr><td>${h(checkLabel(c))}</td><td class="${c.status}">${c.status}</td><td>${c.severity}</td><td>${h(String(c.observed ?? '-'))}</td><td>${h(c.threshold)}</td></tr>`)
    .join('');
  const drift = r.drift.columns
    .map((d) => `<tr><td>${h(d.column)}</td><td>${d.method}</td><td>${d.value.toPrecision(4)}</td><td>${d.direction === 'below' ? '&lt;' : '&ge;'} ${d.threshold}</td><td class="${d.drifted ? 'warn' : 'pass'}">${d.drifted ? 'drifted' : 'stable'}</td><td>${d.referenceValues} / ${d.currentValues}</td></tr>`)
    .join('');
  const charts = (await Promise.all(Object.entries(r.distributions).map(([column, d]) => barChart(column, d)))).join('');
  const taintedHtml = await tainted(r);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Validation ${h(r.model)} ${r.passed ? 'passed' : 'failed'}</title><style>${STYLE}</style></head>
<body>
<h1>Data validation — ${h(r.model)} ${verdict}</h1>
<p>Pipeline <b>${h(r.pipeline)}</b>, workflow <code>${h(r.workflowId)}</code>, step <code>${h(r.stepId)}</code>.
${r.counts.checks} checks: ${r.counts.passed} passed, <span class="fail">${r.counts.failed} failed</span>, <span class="warn">${r.counts.warnings} warnings</span>, ${r.counts.skipped} skipped.</p>
<p>Batch: ${r.current.rows} rows (train ${r.current.train.rows}, holdout ${r.current.holdout.rows}).
Reference: ${r.reference ? `${h(r.reference.description)}, ${r.reference.rows} rows (<code>${h(r.reference.uri)}</code>)` : 'none (first run of this model)'}.</p>
${problems.length ? `<h2>Failures and warnings</h2><ul>${problems.map((c) => `<li class="${c.status}">${h(c.message)}</li>`).join('')}</ul>` : ''}
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>` : ''}
${taintedHtml}
<h2>Schema</h2>
<p>Version ${r.schema.version} (${h(r.schema.origin)}), <code>${h(r.schema.uri)}</code>.
${r.schema.changed ? `<b>Changed in this run</b>: ${h(r.schema.reason)}.</p><ul>${r.schema.changes.map((c) => `<li>${h(c)}</li>`).join('')}</ul>` : 'Unchanged.</p>'}
<h2>Checks</h2>
<table><tr><th>check</th><th>status</th><th>severity</th><th>observed</th><th>threshold</th></tr>${rows}</table>
<h2>Drift against the reference</h2>
${drift ? `<p>${r.drift.drifted.length} of ${r.drift.columns.length} columns drifted${r.drift.detected ? ' — <span class="warn">dataset drift</span>' : ''}.</p><table><tr><th>column</th><th>method</th><th>value</th><th>drift when</th><th>verdict</th><th>values ref / current</th></tr>${drift}</table>` : '<p class="muted">No reference data.</p>'}
<h2>Distributions</h2>
<p>Share of non-null values per bin: the reference against this batch.</p>
${charts}
</body></html>
`;
}

/** The tainted-data findings: a table of each suspicious slice or pattern, and charts of expected vs observed rates. */
async function tainted(r: ValidationReport): Promise<string> {
  const findings = r.findings ?? [];
  if (findings.length === 0) return '';
  const rows = findings
    .map((f) => `<tr><td>${h(f.check)}</td><td>${h(f.where)}</td><td>${(f.observed * 100).toFixed(2)}%</td><td>${(f.expected * 100).toFixed(2)}%</td><td>${f.rows}</td><td>${f.pValue.toExponential(2)}</td><td>${f.effect.toPrecision(3)}</td></tr>`)
    .join('');
  const charts = (await Promise.all(Object.entries(r.sliceRates ?? {}).map(([title, d]) => barChart(title, d)))).join('');
  return `<h2>Tainted data: suspicious slices and patterns</h2>
<table><tr><th>check</th><th>where</th><th>observed</th><th>expected</th><th>rows</th><th>p-value</th><th>effect (obs/exp)</th></tr>${rows}</table>
<p class="legend"><span style="background:#b7bcc8"></span>expected positive rate<span style="background:#2f6fde"></span>observed positive rate</p>
${charts}`;
}
