/**
 * The paired champion/challenger gate end to end on real parts: a real dev server, nine days of
 * March 2001 flights, the built-in trainer, ONNX scoring, a SQLite registry. Under the default
 * gate (superiority by DeLong's test at alpha 0.05) a clearly better model is promoted with its
 * evidence, and a model whose AUC is worse is registered but never promoted.
 */
import { readFile } from 'node:fs/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../src/evaluation/evaluation-report';
import type { PairedComparison } from '../../src/evaluation/paired-gate';
import { startCachingHarness, type CachingHarness, type PipelineRunReport } from '../caching/caching-harness';
import { startDevServer } from '../helpers/temporal-env';
import { weakOrStrongSpec } from './weak-or-strong-spec';

const MODEL = 'champion-challenger';

/** A weak model (distance and weekday) or a strong one (also the hour and airports), with this file's comparison settings. */
const spec = (strong: boolean, model = MODEL, comparison?: object) => weakOrStrongSpec('champion-challenger', model, strong, comparison ? { comparison } : {});

const summary = (r: PipelineRunReport, id: string) => r.result!.steps.find((s) => s.id === id)!.summary!;

describe('champion/challenger promotion on a paired test, on real parts', () => {
  let env: TestWorkflowEnvironment;
  let h: CachingHarness;
  beforeAll(async () => {
    env = await startDevServer();
    h = await startCachingHarness(env);
  });
  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });

  it('promotes a first model without a comparison, then a clearly better one with DeLong evidence, and refuses a worse one', async () => {
    const first = await h.run({ spec: spec(false) });
    expect(first.result?.outcome).toBe('promoted');
    expect(summary(first, 'evaluate').comparison).toBeNull();

    const better = await h.run({ spec: spec(true) });
    const cmp = summary(better, 'evaluate').comparison as PairedComparison;
    expect(cmp).toMatchObject({ metric: 'auc', test: 'superiority', method: 'DeLong', margin: 0, alpha: 0.05, passed: true });
    expect(cmp.improvement).toBeGreaterThan(0);
    expect(cmp.interval.lower).toBeGreaterThan(0);
    expect(cmp.pValue).toBeLessThan(0.05);
    expect(better.result?.outcome).toBe('promoted');
    const champion = await h.registry.getAlias(MODEL, 'champion');
    expect(champion?.version).toBe(2);
    // The alias move carries the test it rests on.
    const move = (await h.registry.aliasHistory(MODEL, 'champion')).find((m) => m.toVersion === 2);
    expect(move?.evidence).toMatchObject({ comparison: { passed: true, pValue: cmp.pValue } });

    // The report and its page show the interval and the p-value.
    const artifacts = better.result!.outputs.evaluate.artifacts;
    const report = await h.store.readJson<EvaluationReport>(artifacts['evaluation-report']);
    expect(report.comparison).toEqual(cmp);
    const page = await readFile(await h.store.localPath(artifacts['evaluation-page']), 'utf8');
    expect(page).toContain(`[${cmp.interval.lower.toFixed(4)}, ${cmp.interval.upper.toFixed(4)}]`);

    const worse = await h.run({ spec: spec(false) });
    const refused = summary(worse, 'evaluate');
    expect(refused.blessed).toBe(false);
    expect((refused.comparison as PairedComparison).improvement).toBeLessThan(0);
    expect(refused.reasons).toEqual([expect.stringMatching(/^superiority not shown: the candidate is not better than the champion by more than 0 with confidence 95% \(auc improvement -0\.\d{4}/)]);
    expect(worse.result?.outcome).toBe('rejected');
    expect((await h.registry.getAlias(MODEL, 'champion'))?.version).toBe(2);
  }, 240_000);

  it('with stratify: day compares within each day of the holdout, and refuses stratify on a per-row metric with nothing changed', async () => {
    const model = `${MODEL}-by-day`;
    expect((await h.run({ spec: spec(false, model) })).result?.outcome).toBe('promoted');
    const better = await h.run({ spec: spec(true, model, { stratify: 'day' }) });
    const cmp = summary(better, 'evaluate').comparison as PairedComparison;
    // The holdout is the newest 20 % of nine days of flights: two days or a little more.
    expect(cmp).toMatchObject({ method: 'DeLong within days', passed: true, strata: { by: 'day', skipped: 0, skippedRows: 0 } });
    expect(cmp.strata!.used).toBeGreaterThanOrEqual(2);
    expect(cmp.strata!.used).toBeLessThanOrEqual(3);
    expect(cmp.interval.lower).toBeGreaterThan(0);
    expect(better.result?.outcome).toBe('promoted');
    const artifacts = better.result!.outputs.evaluate.artifacts;
    const page = await readFile(await h.store.localPath(artifacts['evaluation-page']), 'utf8');
    expect(page).toContain(`DeLong within days (${cmp.strata!.used} days)`);

    const bad = await h.run({ spec: spec(true, model, { metric: 'logLoss', stratify: 'day' }) });
    expect(bad.result).toBeUndefined();
    expect(bad.error?.cause?.message ?? bad.error?.message).toMatch(/comparison\.stratify.*needs metric: auc; got metric: logLoss/);
    expect((await h.registry.getAlias(model, 'champion'))?.version).toBe(2);
    expect(await h.registry.listVersions(model)).toHaveLength(2);
  }, 240_000);
});
