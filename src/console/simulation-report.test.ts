import { describe, expect, it } from 'vitest';
import { renderMarkdown, summaryLines, type SimulationReport, type SimulationWeek, type WeekCheck } from './simulation-report';

const score = (auc: number) => ({ auc, logLoss: 0.5, accuracy: 0.8, rows: 1000, positiveRate: 0.2 });
const check = (now: string, outcome: string, canary?: string): WeekCheck => ({ now, workflowId: `ct-${now}`, retrain: true, reasons: ['rows arrived'], outcome, championAfter: 1, seconds: 1, ...(canary && { canary }) });
const week = (k: number, from: string, champion: number, frozen: number, hindsight?: number, c?: WeekCheck): SimulationWeek => ({
  week: k,
  from,
  to: from,
  champion: { version: 1, ...score(champion) },
  frozen: { version: 1, ...score(frozen) },
  ...(hindsight !== undefined && { hindsight: { version: 1, ...score(hindsight) } }),
  ...(c && { check: c }),
});
const report = (weeks: SimulationWeek[], scenario: SimulationReport['scenario']): SimulationReport => ({
  model: 'm',
  pipeline: 'p',
  overrides: {},
  start: '2001-03-05',
  trainWindow: '8 weeks',
  first: check('2001-03-05', 'promoted'),
  weeks,
  seconds: 10,
  generatedAt: 'now',
  scenario,
});

describe('simulation report of a scenario', () => {
  it('concept drift: gives each week after the change against the hindsight model', () => {
    const r = report(
      [week(1, '2001-03-05', 0.65, 0.65), week(2, '2001-03-12', 0.62, 0.62, 0.7), week(3, '2001-03-19', 0.695, 0.62, 0.7), week(4, '2001-03-26', 0.7, 0.61, 0.705)],
      { name: 'concept-drift', description: 'drift', alteredRows: 10, from: '2001-03-12' },
    );
    const lines = summaryLines(r);
    expect(lines).toContain('After the change (2001-03-12): champion − hindsight -0.0800, -0.0050, -0.0050; frozen − hindsight -0.0800, -0.0800, -0.0950.');
    expect(lines).toContain('Champion within 0.01 of the hindsight model from week 2 after the change on; target (within two weeks and from then on) met; frozen model within 0.01 in 0 of 3 weeks.');
    expect(renderMarkdown(r)).toContain('| +0.0000 | 0.7000 |');
  });

  // Champion AUC per week after the change; the hindsight model scores 0.7 every week.
  describe.each([
    { case: 'never within', champion: [0.6, 0.65, 0.68], says: 'in no week after the change; target (within two weeks and from then on) missed' },
    { case: 'within from the first week', champion: [0.695, 0.7, 0.71], says: 'from week 1 after the change on; target (within two weeks and from then on) met' },
    { case: 'within only from the third week', champion: [0.6, 0.65, 0.695], says: 'from week 3 after the change on; target (within two weeks and from then on) missed' },
    {
      case: 'behind again, twice, after recovering',
      champion: [0.695, 0.6, 0.7, 0.68],
      says: 'from week 1 after the change, behind again in week 2 (-0.1000), 4 (-0.0200); target (within two weeks and from then on) missed',
    },
    { case: 'exactly 0.01 behind as printed', champion: [0.69, 0.69], says: 'from week 1 after the change on; target (within two weeks and from then on) met' },
  ])('concept drift, champion $case', ({ champion, says }) => {
    it('says so, with the verdict', () => {
      const weeks = champion.map((auc, i) => week(i + 1, `2001-03-${String(12 + 7 * i).padStart(2, '0')}`, auc, 0.6, 0.7));
      const r = report(weeks, { name: 'concept-drift', description: 'drift', alteredRows: 1, from: '2001-03-12' });
      expect(summaryLines(r).at(-1)).toBe(`Champion within 0.01 of the hindsight model ${says}; frozen model within 0.01 in 0 of ${champion.length} weeks.`);
    });
  });

  it('tainted week: lists the checks that trained on it and counts canaries rolled back', () => {
    const r = report(
      [
        week(1, '2001-03-05', 0.65, 0.65, undefined, check('2001-03-12', 'promoted', 'passed (25% pass → 100% pass)')),
        week(2, '2001-03-12', 0.66, 0.65, undefined, check('2001-03-19', 'rejected')),
        week(3, '2001-03-19', 0.64, 0.65, undefined, check('2001-03-26', 'promoted', 'rolled-back (25% fail): scoreShift')),
        week(4, '2001-03-26', 0.66, 0.65, undefined, check('2001-04-02', 'rejected', 'skipped')),
      ],
      { name: 'tainted-week', description: 'taint', alteredRows: 5, from: '2001-03-12' },
    );
    const lines = summaryLines(r);
    expect(lines[0]).toBe('Scenario taint (5 rows altered).');
    expect(lines).toContain('5 retrain cycles (3 promoted; 2 canaries, 1 rolled back) in 10 s.');
    expect(lines).toContain('Checks from the end of the tainted week (2001-03-12 – 2001-03-19) on, each training on the 8 weeks before its clock: 2001-03-19 rejected, 2001-03-26 promoted, 2001-04-02 rejected; 1 promoted a model trained on it.');
    expect(lines).toContain("After the tainted week the champion's worst week against the frozen model is -0.0100.");
  });

  it('says what each model trained on: one window, or the first window and the retrains\' (incremental)', () => {
    const r = report([week(1, '2001-03-05', 0.65, 0.65)], undefined);
    expect(summaryLines(r)).toContain('1 weeks from 2001-03-05 to 2001-03-05; every model trained on the 8 weeks before its replay clock.');
    const incremental = { ...r, retrainWindow: '1w', incremental: true };
    expect(summaryLines(incremental)).toContain(
      "1 weeks from 2001-03-05 to 2001-03-05; the first model trained on the 8 weeks before its replay clock, every retrain on the 1w before its clock and at most the rows after its champion's data window (incremental).",
    );
  });

  it('names the leave-week-out hindsight models and what they were trained on', () => {
    const r = { ...report([week(1, '2001-03-12', 0.6, 0.6, 0.7)], { name: 'concept-drift', description: 'drift', alteredRows: 1, from: '2001-03-12' }), hindsightLeaveWeekOut: [check('2001-04-23', 'promoted')] };
    expect(renderMarkdown(r)).toContain('- Hindsight models, leave-week-out (each trained on the new regime up to 2001-04-23 without the week it is scored on): ');
  });
});

