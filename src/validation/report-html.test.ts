import { describe, expect, it } from 'vitest';
import { validateParamsSchema } from '../pipeline/step-params';
import { distribution } from './distributions';
import { renderReportHtml } from './report-html';
import { runChecks } from './run-checks';
import { categoricalColumn, contextOf, numericColumn, profileOf, repeat } from '../../test/support/validation-fixtures';
import { countResults, failureMessage, type ValidationReport } from './validation-report';

const reference = profileOf([numericColumn('distance', repeat([100, 200, 300, 400], 1200), 'DOUBLE'), categoricalColumn('origin', repeat(['ATL', 'ORD'], 1200)), categoricalColumn('label', repeat(['0', '0', '0', '1'], 1200), 'INTEGER')]);
const current = profileOf([numericColumn('distance', repeat([100, 200, 300, 400], 1200), 'DOUBLE'), categoricalColumn('origin', repeat(['ATL', '<script>x</script>'], 1200)), categoricalColumn('label', repeat(['0', '0', '0', '1'], 1200), 'INTEGER')]);

function report(): ValidationReport {
  const ctx = contextOf(current, { reference });
  const { checks, drift } = runChecks(ctx);
  const counts = countResults(checks);
  return {
    kind: 'slipway.validation-report',
    formatVersion: 1,
    model: 'm',
    pipeline: 'p',
    workflowId: 'wf',
    runId: 'run',
    stepId: 'validate',
    passed: counts.failed === 0,
    counts,
    checks,
    drift: { columns: drift, drifted: drift.filter((d) => d.drifted).map((d) => d.column), share: 0.5, detected: true },
    schema: { version: 1, origin: 'champion v1', changed: false, reason: 'test', changes: [], uri: 'artifact://sha256/x' },
    reference: { description: 'champion v1 training data', uri: 'artifact://sha256/y', rows: 1200 },
    current: { rows: 1200, train: { uri: 't', rows: 960 }, holdout: { uri: 'h', rows: 240 } },
    notes: [],
    findings: [],
    sliceRates: {},
    distributions: Object.fromEntries(Object.values(current.columns).map((c) => [c.name, distribution(c, reference.columns[c.name])!])),
    params: validateParamsSchema.parse({}),
  };
}

describe('validation report', () => {
  it('renders one self-contained page with a reference-vs-current chart per column', async () => {
    const html = await renderReportHtml(report());
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html.match(/<svg /g)).toHaveLength(3);
    // Vega draws the reference bars in the reference colour, beside the batch's.
    expect(html).toContain('fill="#b7bcc8"');
    expect(html).toContain('fill="#2f6fde"');
    expect(html).not.toMatch(/<script|src=|href=/);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('FAILED');
  });

  it('explains tainted-data findings in a table and an expected-vs-observed chart, escaping slice values', async () => {
    const finding = { check: 'labelConsistency' as const, where: 'origin = <b>ORD</b>', column: 'origin', value: '<b>ORD</b>', observed: 0.01, expected: 0.2, rows: 5000, pValue: 1e-30, effect: 0.05, message: 'm' };
    const html = await renderReportHtml({
      ...report(),
      findings: [finding],
      sliceRates: { 'positive rate by origin: expected vs observed': { kind: 'categorical', labels: ['<b>ORD</b>', 'ATL'], reference: [0.2, 0.2], current: [0.01, 0.21] } },
    });
    expect(html).toContain('<h2>Tainted data: suspicious slices and patterns</h2>');
    expect(html).toMatch(/<td>labelConsistency<\/td><td>origin = &lt;b&gt;ORD&lt;\/b&gt;<\/td><td>1\.00%<\/td><td>20\.00%<\/td><td>5000<\/td><td>1\.00e-30<\/td>/);
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toContain('<b>ORD');
  });

  it('lists each failed check with its value and threshold in the failure message', () => {
    const message = failureMessage(report(), '/tmp/report.html');
    expect(message.split('\n')[0]).toBe('Data validation failed: 1 of 21 checks failed, nothing was trained (report: /tmp/report.html):');
    expect(message).toContain('  - categoryDomain(origin): 50% of values are outside the 2 known values of schema v1 ("<script>x</script>" 50%), allowed <= 5%');
    expect(message).toMatch(/Warnings \(\d\):\n {2}- drift\(origin\): Jensen–Shannon distance/);
  });

  it('bins numeric distributions over both sides and keeps categorical ones short', () => {
    const d = distribution(numericColumn('x', repeat([1, 2, 3, 1000], 400)), numericColumn('x', repeat([1, 2, 3], 400)))!;
    expect(d.labels).toHaveLength(32);
    expect(d.current.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 10);
    const c = distribution(categoricalColumn('c', repeat(Array.from({ length: 40 }, (_, i) => `v${i}`), 400)))!;
    expect(c.labels).toHaveLength(16);
    expect(c.reference).toBeNull();
  });
});
