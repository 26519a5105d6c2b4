/**
 * The train activity's warm start on real flights and the real built-in trainer: the champion it
 * starts from is found by alias, recorded in the summary, and a model without a champion (or with
 * one the built-in trainer cannot start from) trains cold and says so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainCandidate } from '../../src/activities/train';
import type { ArtifactRef } from '../../src/pipeline/types';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../../src/data/flights-window';
import { createLogger } from '../../src/logger';
import { trainParamsSchema } from '../../src/pipeline/step-params';
import type { IngestSummary } from '../../src/pipeline/step-summaries';
import type { StepOutput, StepOutputBody, StepRequest } from '../../src/pipeline/types';
import type { ModelVersion } from '../../src/registry/model-registry';

const log = createLogger('error');
let dir: string;
let store: LocalArtifactStore;
let inputs: Record<string, StepOutput>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-warm-start-'));
  store = new LocalArtifactStore({ root: join(dir, 'artifacts') });
  await writeFlightsWindow(join(dir, 'train.parquet'), '2001-03-01', '2001-03-04');
  await writeFlightsWindow(join(dir, 'holdout.parquet'), '2001-03-04', '2001-03-05');
  const meta = { label: 'label', features: [...FLIGHTS_FEATURES.numeric, ...FLIGHTS_FEATURES.categorical] };
  const parquet = 'application/vnd.apache.parquet';
  const train = await store.put(join(dir, 'train.parquet'), { name: 'train', mediaType: parquet, meta });
  const holdout = await store.put(join(dir, 'holdout.parquet'), { name: 'holdout', mediaType: parquet, meta });
  inputs = { ingest: { kind: 'ingest', artifacts: { train, holdout }, summary: {} as IngestSummary } };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const request = (step: string): StepRequest => ({
  ctx: { workflowId: 'wf', runId: 'run', stepId: step, pipeline: 'p', model: 'm', specDigest: 'd' },
  params: {},
  inputs,
});
const params = (warmStart: boolean) =>
  trainParamsSchema.parse({ trainer: 'builtin', features: { numeric: ['distance'], categorical: ['origin', 'destination'] }, params: { epochs: 1, warmStart } });
const registryWith = (champion?: ArtifactRef) => ({
  getAlias: async () => (champion ? ({ version: 7, artifact: champion } as ModelVersion) : undefined),
});
const train = (step: string, warm: boolean, champion?: ArtifactRef) =>
  new MockActivityEnvironment().run(trainCandidate, { store, registry: registryWith(champion) }, request(step), params(warm), log) as Promise<StepOutputBody<'train'>>;

describe('train activity: warm start', () => {
  it('starts from the champion found by alias and records its version and digest', async () => {
    const cold = await train('first', false);
    expect(cold.summary.warmStartedFrom).toBeUndefined();
    const warm = await train('second', true, cold.artifacts.model);
    expect(warm.summary.warmStartedFrom).toEqual({ version: 7, sha256: cold.artifacts.model.sha256 });
    expect(warm.summary.params).toMatchObject({ warmStart: true });
  });

  it('trains cold, with warmStartedFrom null, without a champion or with one not from the built-in binary trainer', async () => {
    expect((await train('no-champion', true)).summary.warmStartedFrom).toBeNull();
    const foreign = await store.putBytes('not ours', { name: 'model', mediaType: 'application/onnx', meta: { trainer: 'sklearn.logistic_regression' } });
    expect((await train('foreign', true, foreign)).summary.warmStartedFrom).toBeNull();
  });
});
