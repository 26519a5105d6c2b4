/**
 * Renders an {@link EvaluationReport} as one self-contained HTML page: the verdict, ROC
 * curves of every candidate and the champion (Vega-Lite, rendered to inline SVG on the server), the metrics side by side, each
 * gate with its formula, inputs and result, and the slices. No scripts, no external assets.
 */
import type { PairedComparison } from './paired-gate';
import type { EvaluationReport, ReportEntry } from './evaluation-report';
import { lineChart } from '../charts/chart-specs';
import { renderSvg } from '../charts/render-svg';
import type { RocPoint } from './metrics';

const COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const CHAMPION_COLOUR = '#d62728';
const METRIC_ORDER = [
  'auc', 'logLoss', 'accuracy', 'precision', 'recall', 'f1', 'brier', 'ece', 'positiveRate',
  'macroF1', 'weightedF1', 'minClassRecall', 'rmse', 'mae', 'r2', 'mape', 'meanResidual',
  'msPerRow', 'singleRowMs', 'modelBytes',
];

export async function renderReportHtml(r: EvaluationReport): Promise<string> {
  const entries = [...r.candidates, ...(r.champion ? [r.champion] : [])];
  const colour = (e: ReportEntry, i: number): string => (e.role === 'champion' ? CHAMPION_COLOUR : COLOURS[i % COLOURS.length]);
  const verdict = r.blessed ? 'blessed: may be promoted' : 'not blessed: stays a candidate';
  const roc = r.task ? '' : await rocSvg(entries.map((e, i) => ({ label: `${e.id} (AUC ${fmt(e.metrics.auc)})`, colour: colour(e, i), points: e.roc, dashed: e.role === 'champion' })));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation of ${esc(r.model)}: ${r.blessed ? 'blessed' : 'not blessed'}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child,.text{text-align:left}.pass{color:#17642b}.fail{color:#b00020;font-weight:600}
.chosen{background:#eef6ff}.verdict{font-size:1.1rem;padding:.5rem 1rem;border-radius:4px;display:inline-block}
.ok{background:#e3f4e7}.no{background:#fde7ea}code{font-size:.9em}small{color:#666}
</style></head><body>
<h1>Evaluation of <code>${esc(r.model)}</code></h1>
<p class="verdict ${r.blessed ? 'ok' : 'no'}">${esc(verdict)}</p>
<p>Pipeline <code>${esc(r.pipeline)}</code>, step <code>${esc(r.step)}</code>, workflow <code>${esc(r.workflowId)}</code>.
Holdout: ${fmtInt(r.holdout.rows)} rows (<code>${esc(r.holdout.sha256.slice(0, 12))}</code>), label <code>${esc(r.holdout.label)}</code>,
${r.task ? `task ${esc(r.task)}${r.classes ? ` (classes ${r.classes.map(esc).join(', ')})` : ''}` : `threshold ${r.threshold}`}. Carried forward: <strong>${esc(r.chosen.id)}</strong> (${esc(r.chosen.reason)}).</p>
${r.reasons.length ? `<ul>${r.reasons.map((x) => `<li class="fail">${esc(x)}</li>`).join('')}</ul>` : ''}
${r.task ? '' : `<h2>ROC curves</h2>\n${roc}`}
<h2>Metrics on the same holdout rows</h2>
${metricsTable(entries, r)}
${taskSection(entries, r)}
<h2>Champion/challenger: paired test on the same rows</h2>
${comparisonSection(r)}
${r.recent === undefined ? '' : `<h2>Champion/challenger on recent served traffic (labelled by feedback)</h2>\n${recentSection(r)}`}
<h2>Gates</h2>
${gatesTable(r)}
${slicesSection(entries, r)}
<h2>Formulas</h2>
<ul>${Object.entries(r.formulas).map(([k, v]) => `<li><strong>${esc(k)}</strong>: ${esc(v)}</li>`).join('')}</ul>
<p><small>firstRun policy: ${esc(r.firstRun)}. Written by Slipway's evaluate step; the JSON report holds every figure on this page.</small></p>
</body></html>
`;
}

function metricsTable(entries: ReportEntry[], r: EvaluationReport): string {
  const names = METRIC_ORDER.filter((m) => entries.some((e) => m in e.metrics));
  const head = entries.map((e) => `<th class="${e.id === r.chosen.id ? 'chosen' : ''}">${esc(e.id)}<br><small>${esc(e.trainer ?? '')}</small></th>`).join('');
  const rows = names.map((m) => {
    const cells = entries.map((e) => `<td class="${e.id === r.chosen.id ? 'chosen' : ''}">${m === 'modelBytes' ? fmtInt(e.metrics[m]) : fmt(e.metrics[m])}</td>`);
    return `<tr><td>${m === r.primaryMetric ? `<strong>${m}</strong> (primary)` : m}</td>${cells.join('')}</tr>`;
  });
  return `<table><tr><th>metric</th>${head}</tr>${rows.join('')}</table>`;
}

/** Multiclass: recall per class for every model and the chosen model's confusion matrix; regression: residual quantiles. */
function taskSection(entries: ReportEntry[], r: EvaluationReport): string {
  const chosen = entries.find((e) => e.id === r.chosen.id)?.detail;
  if (!chosen) return '';
  const head = entries.map((e) => `<th>${esc(e.id)}</th>`).join('');
  if (chosen.task === 'multiclass') {
    const recall = chosen.classes.map((c, k) => {
      const cells = entries.map((e) => `<td>${e.detail?.task === 'multiclass' ? fmt(e.detail.perClass[k]?.recall) : '–'}</td>`);
      return `<tr><td>${esc(c)}</td><td>${fmtInt(chosen.perClass[k].support)}</td>${cells.join('')}</tr>`;
    });
    const matrix = chosen.confusion.map((row, t) => `<tr><td>${esc(chosen.classes[t])}</td>${row.map((n) => `<td>${fmtInt(n)}</td>`).join('')}</tr>`);
    return `<h2>Recall per class</h2>
<table><tr><th>class</th><th>support</th>${head}</tr>${recall.join('')}</table>
<h2>Confusion matrix of ${esc(r.chosen.id)} (rows: true class, columns: predicted)</h2>
<table><tr><th>true / predicted</th>${chosen.classes.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${matrix.join('')}</table>`;
  }
  const keys = ['p5', 'p25', 'p50', 'p75', 'p95'] as const;
  const rows = keys.map((q) => `<tr><td>${q}</td>${entries.map((e) => `<td>${e.detail?.task === 'regression' ? fmt(e.detail.residualQuantiles[q]) : '–'}</td>`).join('')}</tr>`);
  return `<h2>Residuals (target − prediction)</h2>
<table><tr><th>quantile</th>${head}</tr>${rows.join('')}
<tr><td>mean</td>${entries.map((e) => `<td>${e.detail?.task === 'regression' ? fmt(e.detail.meanResidual) : '–'}</td>`).join('')}</tr></table>`;
}

function gatesTable(r: EvaluationReport): string {
  if (r.gates.length === 0) return '<p>No gates configured.</p>';
  const rows = r.gates.map((g) => {
    const bounds = [g.min !== undefined ? `&ge; ${g.min}` : '', g.max !== undefined ? `&le; ${g.max}` : ''].filter(Boolean).join(' and ');
    return `<tr><td class="text"><code>${esc(g.formula)}</code></td><td>${fmt(g.candidate)}</td><td>${fmt(g.champion)}</td><td>${fmt(g.observed)}</td><td>${bounds}</td>
<td class="${g.passed ? 'pass' : 'fail'}">${g.passed ? 'pass' : 'fail'}</td><td class="text">${esc(g.reason ?? '')}</td></tr>`;
  });
  return `<table><tr><th>formula</th><th>candidate</th><th>champion</th><th>observed</th><th>required</th><th>verdict</th><th>reason</th></tr>${rows.join('')}</table>`;
}

function comparisonSection(r: EvaluationReport): string {
  const c = r.comparison;
  if (!c) return `<p>${r.champion ? 'Turned off in the spec.' : 'No champion to compare with.'}</p>`;
  return comparisonTable(c);
}

/** The recent window: its rows and bounds, then the same table as the holdout comparison, or the too-few-labels outcome. */
function recentSection(r: EvaluationReport): string {
  const w = r.recent;
  if (!w) return '<p>No champion to compare with.</p>';
  const head = `<p>Model <code>${esc(w.served.model)}</code>, last ${esc(w.served.window)} (${esc(w.served.from)} to ${esc(w.served.to)}): ${fmtInt(w.labelled)} labelled rows (minLabels ${w.minLabels}, onTooFewLabels ${esc(w.onTooFewLabels)}).</p>`;
  if (!w.comparison) return `${head}\n<p class="${w.passed ? 'text' : 'fail'}">${esc(w.reason)}</p>`;
  return `${head}\n${comparisonTable(w.comparison)}`;
}

function comparisonTable(c: PairedComparison): string {
  const pct = `${+(c.interval.confidence * 100).toFixed(2)}%`;
  return `<table><tr><th>metric</th><th>test</th><th>method</th><th>candidate</th><th>champion</th><th>improvement</th><th>std. error</th><th>${pct} interval</th><th>required lower bound &gt;</th><th>p-value</th><th>&alpha;</th><th>verdict</th></tr>
<tr><td class="text">${esc(c.metric)}</td><td class="text">${esc(c.test)} (margin ${c.margin})</td><td class="text">${esc(c.method)}${c.strata ? ` (${c.strata.used} days${c.strata.skipped ? `; ${c.strata.skipped} with one class left out` : ''})` : ''}</td><td>${fmt(c.candidate)}</td><td>${fmt(c.champion)}</td>
<td>${fmt(c.improvement)}</td><td>${fmt(c.standardError)}</td><td>[${fmt(c.interval.lower)}, ${fmt(c.interval.upper)}]</td><td>${fmt(c.bound)}</td><td>${fmtP(c.pValue)}</td><td>${c.alpha}</td>
<td class="${c.passed ? 'pass' : 'fail'}">${c.passed ? 'pass' : 'fail'}</td></tr></table>
<p class="${c.passed ? 'pass' : 'fail'}">${esc(c.reason)}</p>`;
}

function slicesSection(entries: ReportEntry[], r: EvaluationReport): string {
  const columns = Object.keys(entries[0]?.slices ?? {});
  return columns
    .map((column) => {
      const values = entries[0].slices[column];
      const head = entries.map((e) => `<th>${esc(e.id)}</th>`).join('');
      const rows = values.map((s, k) => {
        const cells = entries.map((e) => `<td>${fmt(e.slices[column]?.[k]?.metrics?.[r.primaryMetric as 'auc'])}</td>`);
        const rate = r.task ? '' : `<td>${fmt(s.metrics?.positiveRate)}</td>`;
        return `<tr><td>${esc(s.value === '' ? '(missing)' : s.value)}</td><td>${fmtInt(s.rows)}</td>${rate}${cells.join('')}</tr>`;
      });
      return `<h2>Slices by <code>${esc(column)}</code>: ${esc(r.primaryMetric)}</h2>
<table><tr><th>${esc(column)}</th><th>rows</th>${r.task ? '' : '<th>positive rate</th>'}${head}</tr>${rows.join('')}</table>`;
    })
    .join('\n');
}

/** ROC curves of every model on one square plot with the chance diagonal; the champion dashed. */
function rocSvg(series: { label: string; colour: string; points: RocPoint[]; dashed: boolean }[]): Promise<string> {
  const spec = lineChart(
    series.map((s) => ({ name: s.label, color: s.colour, dashed: s.dashed, points: s.points.map((p) => ({ x: p.fpr, y: p.tpr })) })),
    { xTitle: 'false positive rate', yTitle: 'true positive rate', unitSquare: true, width: 340, height: 340 },
  );
  return renderSvg(spec, 'ROC curves');
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && Math.abs(v) < 0.001) return v.toExponential(2);
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

function fmtP(p: number): string {
  return p >= 0.001 ? p.toFixed(4) : p.toExponential(2);
}

function fmtInt(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
