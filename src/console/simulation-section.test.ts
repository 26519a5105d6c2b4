import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeReport, type SimulationReport } from './simulation-report';
import { simulationSection } from './simulation-section';

const score = (version: number, auc: number) => ({ version, auc, logLoss: 0.54, accuracy: 0.75, rows: 1000, positiveRate: 0.25 });
const report = (model: string, aucs: number[]): SimulationReport => ({
  model,
  pipeline: 'flight-delay-builtin',
  overrides: {},
  start: '2001-02-26',
  trainWindow: '4 weeks',
  first: { now: '2001-02-26', workflowId: 'ct-0', retrain: true, reasons: ['no champion yet'], outcome: 'promoted', championAfter: 1, seconds: 8 },
  weeks: aucs.map((auc, i) => ({ week: i + 1, from: `2001-03-0${i + 1}`, to: `2001-03-0${i + 2}`, champion: score(1, auc), frozen: score(1, 0.64) })),
  seconds: 30,
  generatedAt: '2026-12-06T04:50:00.000Z',
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-sim-section-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

it('charts the newest finished simulation report, skipping a newer half-written one', async () => {
  await writeReport(path.join(dir, 'simulation-2026-12-06T04-35-23-581Z'), report('older-model', [0.61, 0.62]));
  await writeReport(path.join(dir, 'simulation-2026-12-06T04-48-10-554Z'), report('newest-model', [0.65, 0.66, 0.67]));
  await mkdir(path.join(dir, 'simulation-2026-12-06T05-00-00-000Z'));
  await writeFile(path.join(dir, 'simulation-2026-12-06T05-00-00-000Z', 'report.json'), '{"model": "half');
  const section = (await simulationSection(dir)).value;
  expect(section).toContain('newest-model, pipeline <strong>flight-delay-builtin</strong>');
  expect(section).not.toContain('older-model');
  expect(section).toContain('3 weeks from 2001-03-01');
  expect(section).toMatch(/<svg[^>]*role="img"/);
  expect(section).toContain('AUC per week');
});

it('says how to make a report when there is none, or no directory configured', async () => {
  for (const d of [dir, path.join(dir, 'missing'), undefined]) {
    expect((await simulationSection(d)).value).toContain('No simulation report yet');
  }
});
