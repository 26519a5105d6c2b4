import { describe, expect, it } from 'vitest';
import type { PipelineResult } from '../workflows/pipeline-status';
import { formatSummary } from './print-summary';

const result = {
  workflowId: 'wf-1',
  runId: 'run-1',
  pipeline: 'flight-delay',
  model: 'flight-delay',
  specDigest: 'spec',
  stage: 'completed',
  outcome: 'promoted',
  runningSteps: [],
  outputs: {},
  steps: [
    { id: 'ingest', kind: 'ingest', state: 'succeeded', attempts: 1, durationMs: 1940, summary: { dataDigest: 'data', trainRows: 10, holdoutRows: 3 } },
    { id: 'validate', kind: 'validate', state: 'cached', attempts: 1, durationMs: 20, summary: { checks: 30, warnings: 2, warningMessages: [], drift: { columns: ['hour'] }, reportPath: '/r.html' } },
    {
      id: 'evaluate',
      kind: 'evaluate',
      state: 'succeeded',
      attempts: 1,
      durationMs: 17_910,
      summary: {
        gates: [],
        blessed: true,
        primaryMetric: 'auc',
        metrics: { auc: 0.678, logLoss: 0.4705, accuracy: 0.8011, f1: 0.072 },
        chosen: { step: 'train-gbm' },
        candidates: [{ step: 'train-builtin', auc: 0.6639 }, { step: 'train-gbm', auc: 0.678 }],
        champion: { version: 1, metrics: { auc: 0.6639 } },
        page: 'artifact://sha256/page',
      },
    },
    { id: 'register', kind: 'register', state: 'succeeded', attempts: 1, durationMs: 150, summary: { version: 3 } },
    { id: 'promote', kind: 'promote', state: 'succeeded', attempts: 1, durationMs: 100, summary: { outcome: 'promoted' } },
  ],
} as unknown as PipelineResult;

describe('formatSummary', () => {
  it('shows steps, validation, candidates with the chosen one, metrics, version, verdict and links', () => {
    const text = formatSummary(result, 'http://ui/run');
    expect(text).toContain('Pipeline flight-delay (model flight-delay) — outcome: PROMOTED');
    expect(text).toMatch(/ingest\s+succeeded\s+1\.94 s {2}attempts 1/);
    expect(text).toMatch(/validate\s+cached/);
    expect(text).toContain('validation   30 checks, 2 warnings, drift in hour  /r.html');
    expect(text).toContain('candidates   train-builtin auc 0.6639, train-gbm auc 0.6780 (chosen)');
    expect(text).toContain('metrics      auc 0.6780  logLoss 0.4705  accuracy 0.8011  f1 0.0720');
    expect(text).toContain('compared to  champion v1 (auc 0.6639)');
    expect(text).toContain('version      v3');
    expect(text).toContain('evaluation   artifact://sha256/page');
    expect(text).toContain('champion?    yes — now champion');
    expect(text).toContain('Temporal UI  http://ui/run');
  });
});
