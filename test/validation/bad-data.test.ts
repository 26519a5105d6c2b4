/**
 * Bad and tainted data, each in a real file written by the test, through the real ingest and
 * validate activities (MockActivityEnvironment, real DuckDB, artifact store and registry). The
 * reference is a champion registered from the clean batch. Every case must fail with a message
 * naming the problem; nothing is registered and the champion stays where it was.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { createLogger } from '../../src/logger';
import { PrometheusPipelineMetrics } from '../../src/observability/pipeline-metrics';
import type { StepKindName } from '../../src/pipeline/step-kinds';
import type { TrainSummary } from '../../src/pipeline/step-summaries';
import type { StepOutput, StepRequest, StepResult } from '../../src/pipeline/types';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import { FileStepRecords } from '../../src/step-records/file-step-records';
import type { ValidationReport } from '../../src/validation/validation-report';
import { ingestParams, writeEmptyFile, writeFlights, writeTruncatedParquet, type Taint } from './flight-files';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';

describe('validation stops bad and tainted data (activities on real files)', () => {
  let dir: string;
  let store: LocalArtifactStore;
  let registry: SqliteModelRegistry;
  let activities: ReturnType<typeof createActivities>;
  let runs = 0;
  const metrics = new PrometheusPipelineMetrics(false);
  /** The drift gauges of this test's model, as Prometheus would scrape them. */
  async function driftGauges(): Promise<{ share?: number; limit?: number }> {
    const text = await metrics.registry.metrics();
    const value = (name: string) => {
      const m = new RegExp(`^${name}\\{pipeline="validation-test",model="flights"\\} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    return { share: value('slipway_validation_drift_share'), limit: value('slipway_validation_drift_share_limit') };
  }

  const request = (stepId: string, params: Record<string, unknown>, inputs: Record<string, StepOutput>, workflowId: string): StepRequest => ({
    ctx: { workflowId, runId: 'run', stepId, pipeline: 'validation-test', model: 'flights', specDigest: 'spec' },
    params,
    inputs,
  });
  const step = <K extends StepKindName>(fn: (req: StepRequest) => Promise<StepResult<K>>, req: StepRequest) => new MockActivityEnvironment().run(fn, req) as Promise<StepResult<K>>;

  /** ingest then validate, as the pipeline runs them; resolves with both outputs or rejects with the failure. */
  async function ingestAndValidate(file: string, options: { window?: { from?: string; to?: string }; validate?: Record<string, unknown> } = {}) {
    const wf = `wf-${++runs}`;
    const ingest = await step(activities.ingest, request('ingest', ingestParams(file, options.window), {}, wf));
    const validate = await step(activities.validate, request('validate', options.validate ?? {}, { ingest }, wf));
    return { ingest, validate };
  }

  /** The failure of a case, which must be a non-retryable ApplicationFailure. */
  async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    return err as ApplicationFailure;
  }

  const tainted = (taint: Taint, options?: Parameters<typeof writeFlights>[2]) => writeFlights(path.join(dir, `${taint}-${++runs}.parquet`), taint, options);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-validation-'));
    store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
    registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
    activities = createActivities({
      logger: createLogger('silent'),
      store,
      registry,
      stepRecords: new FileStepRecords(path.join(dir, 'step-records')),
      pipelinesDir: path.join(__dirname, '..', '..', 'pipelines'),
      duckdbThreads: 1,
      dataRoots: { roots: [os.tmpdir()], ...SOURCE_LIMIT_DEFAULTS },
      metrics,
    });
    // The champion: a model registered from the clean batch, with its lineage (training data, schema).
    const clean = await ingestAndValidate(await writeFlights(path.join(dir, 'clean.parquet')));
    const model = await store.putBytes('stand-in model', { name: 'model', mediaType: 'application/onnx' });
    const train: StepOutput = { kind: 'train', artifacts: { model }, summary: { trainer: 'test', params: {} } as TrainSummary };
    const registered = await step(activities.register, request('register', {}, { ingest: clean.ingest, validate: clean.validate, train }, 'wf-clean'));
    await registry.setAlias({ model: 'flights', alias: 'champion', version: Number(registered.summary.version), expectedVersion: null, actor: 'test', reason: 'baseline' });
  });

  afterAll(async () => {
    // Whatever failed, nothing new was registered and the champion did not move.
    expect(await registry.listVersions('flights')).toHaveLength(1);
    expect((await registry.getAlias('flights', 'champion'))?.version).toBe(1);
    await registry.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it("records the champion's training data and schema in its lineage", async () => {
    const champion = await registry.getAlias('flights', 'champion');
    expect(champion?.lineage.trainData).toMatchObject({ name: 'train', mediaType: 'application/vnd.apache.parquet' });
    expect(champion?.lineage.schema).toMatchObject({ name: 'schema', meta: { model: 'flights', version: 1 } });
  });

  it('passes a clean batch of the same days, with the schema of the champion', async () => {
    const { validate } = await ingestAndValidate(await tainted('clean'));
    expect(validate.summary).toMatchObject({ passed: true, failed: 0, schema: { version: 1, changed: false, origin: 'champion v1' }, reference: 'champion v1 training data' });
    const report = await store.readJson<ValidationReport>(validate.artifacts['validation-report']);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(await driftGauges()).toEqual({ share: report.drift.share, limit: 0.5 });
    expect(Object.keys(report.distributions).sort()).toEqual(['destination', 'distance', 'hour', 'label', 'origin', 'weekday']);
  });

  it('missing file: DataSourceError naming the path', async () => {
    const f = await failure(ingestAndValidate(path.join(dir, 'nope.parquet')));
    expect(f.type).toBe('DataSourceError');
    expect(f.message).toMatch(/^source\.path: file ".*nope\.parquet" does not exist/);
  });

  it('truncated Parquet: DataSourceError saying the file is not complete Parquet', async () => {
    const f = await failure(ingestAndValidate(await writeTruncatedParquet(dir)));
    expect(f.type).toBe('DataSourceError');
    expect(f.message).toMatch(/cannot read parquet source ".*truncated\.parquet": .*No magic bytes found at end of file.*Is the file complete Parquet/);
  });

  it('empty file: DataSourceError', async () => {
    const f = await failure(ingestAndValidate(await writeEmptyFile(path.join(dir, 'empty.csv'))));
    expect(f.type).toBe('DataSourceError');
    expect(f.message).toMatch(/file ".*empty\.csv" is empty \(0 bytes\)/);
  });

  it('CSV with text in a number column: the value and the type change are named', async () => {
    const f = await failure(ingestAndValidate(await writeFlights(path.join(dir, 'text.csv'), 'textInNumber')));
    expect(f.type).toBe('DataValidationFailed');
    expect(f.message).toMatch(/typeConversion\(distance\): \d+ of [\d,]+ values \([\d.]+%\) of source column distance are not a number \(e\.g\. "n\/a"\)/);
    expect(f.message).toContain('columnTypes: source column distance is VARCHAR, schema v1 has BIGINT');
  });

  it('missing label column: DataSourceError naming the spec field and the columns there are', async () => {
    const f = await failure(ingestAndValidate(await tainted('noLabel')));
    expect(f.type).toBe('DataSourceError');
    expect(f.message).toMatch(/has no column label\.column "delay"; its columns are date, distance, origin, destination/);
  });

  it('a column entirely null', async () => {
    const f = await failure(ingestAndValidate(await tainted('nullColumn')));
    expect(f.type).toBe('DataValidationFailed');
    expect(f.message).toMatch(/nullRate\(distance\): every row is null, allowed <= 5%/);
  });

  it('30% of labels flipped: the positive rate jumps', async () => {
    const f = await failure(ingestAndValidate(await tainted('flippedLabels')));
    expect(f.type).toBe('DataValidationFailed');
    expect(f.message).toMatch(/labelRateShift\(label\): positive rate [\d.]+% vs [\d.]+% in the champion v1 training data, shift 0\.\d+ > 0\.15; were labels flipped/);
    const failed = (f.details?.[0] as { failed: Array<{ check: string; threshold: string }> }).failed;
    expect(failed).toEqual(expect.arrayContaining([{ check: 'labelRateShift(label)', observed: expect.any(Number), threshold: '<= 0.15' }]));
    // The flip wrote delays of 0 and 60 minutes, which the label source counts show.
    expect(failed.filter((c) => c.check === 'labelSourceSpikes(delay)')).toHaveLength(2);
  });

  it('5% of rows with extreme outliers', async () => {
    const f = await failure(ingestAndValidate(await tainted('outliers')));
    expect(f.message).toMatch(/outliers\(distance\): [\d.]+% of values beyond the reference's fences .* excess [\d.]+%, allowed <= 1%; this batch reaches \d+ to 250000/);
    expect(f.message).toMatch(/numericRange\(distance\): [\d.]+% of values outside \[\d+, \d+\] of schema v1/);
  });

  it('20% duplicated rows', async () => {
    const f = await failure(ingestAndValidate(await tainted('clean', { duplicates: 0.2 })));
    expect(f.message).toMatch(/duplicateRows: (19|20|21)(\.\d)?% of rows repeat another row exactly/);
  });

  it('a new category dominating a column (its drift reaches the metrics the drift alert reads, though the step fails)', async () => {
    const before = await driftGauges();
    const f = await failure(ingestAndValidate(await tainted('newCategory'), { validate: { drift: { maxDriftedFraction: 0.15 } } }));
    const after = await driftGauges();
    expect(after.limit).toBe(0.15);
    expect(after.share).toBeGreaterThan(0);
    expect(after.share).not.toBe(before.share);
    expect(f.message).toMatch(/categoryDomain\(origin\): [56]\d(\.\d)?% of values are outside the \d+ known values of schema v1 \("ZZZ" [56]\d(\.\d)?%\)/);
    expect(f.message).toMatch(/Warnings \(\d+\):[\s\S]*drift\(origin\): Jensen–Shannon distance 0\.\d+ >= 0\.1/);
  });

  it('a window with no rows', async () => {
    const f = await failure(ingestAndValidate(await tainted('clean'), { window: { from: '2003-01-01', to: '2003-02-01' } }));
    expect(f.type).toBe('DataSourceError');
    expect(f.message).toMatch(/^window: no rows in ".*clean-\d+\.parquet" from 2003-01-01 to 2003-02-01 \(column date\); its times span 2001-03-01 00:\d\d:00 to 2001-03-02 23:\d\d:00$/);
  });

  it('a check turned down to a warning lets the batch through and says so in the summary', async () => {
    const { validate } = await ingestAndValidate(await tainted('clean', { duplicates: 0.2 }), { validate: { severity: { duplicateRows: 'warn' } } });
    expect(validate.summary.passed).toBe(true);
    expect(validate.summary.warningMessages).toEqual(expect.arrayContaining([expect.stringMatching(/^duplicateRows: /)]));
  });
});
