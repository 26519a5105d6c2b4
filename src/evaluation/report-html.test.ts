import { beforeAll, describe, expect, it } from 'vitest';
import { GATE_FORMULAS, type EvaluationReport, type ReportEntry } from './evaluation-report';
import { renderReportHtml } from './report-html';

const entry = (id: string, role: ReportEntry['role'], auc: number): ReportEntry => ({
  id,
  role,
  artifact: { uri: `artifact://sha256/${id}`, sha256: 'ab'.repeat(32), bytes: 1234 },
  rows: 100,
  trainer: `<trainer ${id}>`,
  metrics: { auc, logLoss: 0.5, msPerRow: 0.0004, modelBytes: 123456, positiveRate: 0.2 },
  slices: { origin: [{ value: 'ORD', rows: 40, metrics: null }] },
  roc: [
    { fpr: 0, tpr: 0 },
    { fpr: 0.5, tpr: auc },
    { fpr: 1, tpr: 1 },
  ],
});

const report: EvaluationReport = {
  kind: 'evaluation-report',
  model: 'flight-delay',
  pipeline: 'flight-delay',
  workflowId: 'wf-1',
  runId: 'run-1',
  step: 'evaluate',
  holdout: { uri: 'artifact://sha256/h', sha256: 'cd'.repeat(32), rows: 100, label: 'label' },
  threshold: 0.5,
  primaryMetric: 'auc',
  firstRun: 'pass',
  candidates: [entry('train-builtin', 'candidate', 0.66), entry('train-gbm', 'candidate', 0.69)],
  chosen: { id: 'train-gbm', reason: 'highest auc' },
  champion: { ...entry('champion v1', 'champion', 0.67), version: 1 },
  gates: [
    { metric: 'auc', compare: 'delta', formula: 'candidate.auc - champion.auc', candidate: 0.69, champion: 0.67, observed: 0.02, min: -0.005, passed: true },
    { metric: 'auc', compare: 'value', formula: 'candidate.auc[origin=ORD]', candidate: null, champion: null, observed: null, min: 0.55, slice: { column: 'origin', value: 'ORD' }, passed: false, reason: 'auc[origin=ORD]: candidate metric is missing' },
  ],
  comparison: {
    metric: 'auc',
    test: 'superiority',
    margin: 0,
    alpha: 0.05,
    method: 'DeLong',
    rows: 100,
    candidate: 0.69,
    champion: 0.67,
    improvement: 0.02,
    standardError: 0.015,
    interval: { lower: -0.0047, upper: 0.0447, confidence: 0.9 },
    bound: 0,
    pValue: 0.0912,
    passed: false,
    reason: 'superiority not shown: the candidate is not better than the champion by more than 0 with confidence 95%',
  },
  blessed: false,
  reasons: ['auc[origin=ORD]: candidate metric is missing'],
  formulas: { ...GATE_FORMULAS },
};

describe('renderReportHtml', () => {
  let html: string;
  beforeAll(async () => {
    html = await renderReportHtml(report);
  });

  it('draws one ROC curve per candidate and one, dashed, for the champion', () => {
    // Vega draws each series as its own line mark (layer 0 is the chance diagonal).
    const lines = html.split('<g class="mark-line role-mark layer_1_marks"').slice(1).map((chunk) => chunk.slice(0, chunk.indexOf('</g>')));
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => /stroke-dasharray="6,\s?4"/.test(l))).toHaveLength(1);
    expect(html).toContain('train-gbm (AUC 0.6900)');
  });

  it('shows the verdict, every gate with its formula and result, and the slices', () => {
    expect(html).toContain('not blessed');
    expect(html).toContain('<code>candidate.auc - champion.auc</code>');
    expect(html).toMatch(/class="fail">fail<\/td>/);
    expect(html).toContain('Slices by <code>origin</code>');
    expect(html).toContain('123,456');
  });

  it('shows the paired comparison with its interval, p-value and verdict', () => {
    expect(html).toContain('paired test on the same rows');
    expect(html).toContain('<th>90% interval</th>');
    expect(html).toContain('<td>[-0.0047, 0.0447]</td>');
    expect(html).toContain('<td>0.0912</td>');
    expect(html).toContain('superiority not shown');
  });

  it('says why there is no comparison when there is no champion', async () => {
    expect(await renderReportHtml({ ...report, champion: null, comparison: null })).toContain('No champion to compare with.');
  });

  it('shows the recent served-traffic comparison only when the spec asked for it: rows, interval, p-value, verdict, or the too-few-labels rule', async () => {
    expect(html).not.toContain('recent served traffic');
    const served = { model: 'flight-delay', window: '7 days', from: '2026-01-01T00:00:00.000Z', to: '2026-01-08T00:00:00.000Z' };
    const comparison = { ...report.comparison!, rows: 412, candidate: 0.61, champion: 0.66, improvement: -0.05, interval: { lower: -0.081, upper: -0.019, confidence: 0.9 }, pValue: 0.9987 };
    const compared = await renderReportHtml({ ...report, recent: { served, labelled: 412, minLabels: 100, onTooFewLabels: 'block', outcome: 'compared', comparison, passed: false, reason: 'recent served traffic: superiority not shown' } });
    expect(compared).toContain('Champion/challenger on recent served traffic');
    expect(compared).toContain('last 7 days (2026-01-01T00:00:00.000Z to 2026-01-08T00:00:00.000Z): 412 labelled rows');
    expect(compared).toContain('<td>[-0.0810, -0.0190]</td>');
    expect(compared).toContain('<td>0.9987</td>');
    const blocked = await renderReportHtml({ ...report, recent: { served, labelled: 12, minLabels: 100, onTooFewLabels: 'block', outcome: 'blocked', passed: false, reason: 'recent served traffic: 12 labelled rows, fewer than minLabels 100; not blessed' } });
    expect(blocked).toContain('12 labelled rows (minLabels 100, onTooFewLabels block)');
    expect(blocked).toContain('<p class="fail">recent served traffic: 12 labelled rows, fewer than minLabels 100; not blessed</p>');
    expect(await renderReportHtml({ ...report, recent: null })).toMatch(/on recent served traffic[^]*No champion to compare with\./);
  });

  it('escapes text that comes from specs and trainers', () => {
    expect(html).toContain('&lt;trainer train-gbm&gt;');
    expect(html).not.toContain('<trainer');
  });
});
