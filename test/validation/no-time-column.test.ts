/**
 * An ingest without a timeColumn, on vega-datasets' Palmer penguins (no time column at all): a
 * deterministic hash split, no event_time, validation's time check skipped with a note, and
 * time-only settings refused naming the field.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSnapshot } from '../../src/activities/ingest';
import { validateSnapshots } from '../../src/activities/validate';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { queryRows, sqlString, withDuckDb } from '../../src/data/duckdb';
import { SOURCE_LIMIT_DEFAULTS } from '../../src/data/data-roots';
import { parsePipelineSpec } from '../../src/pipeline/parse-spec';
import { ingestParamsSchema, validateParamsSchema } from '../../src/pipeline/step-params';
import type { StepRequest } from '../../src/pipeline/types';
import { PENGUINS_INGEST } from '../support/penguins';

describe('ingest without a timeColumn', () => {
  let dir: string;
  let store: LocalArtifactStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-no-time-'));
    store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  const ingest = (params: Record<string, unknown>) =>
    ingestSnapshot({ store, duckdbThreads: 1, dataRoots: { roots: [dir], ...SOURCE_LIMIT_DEFAULTS } }, ingestParamsSchema.parse(params), 'ingest');

  it('defaults to a hash split, the same rows on the same side on every run', async () => {
    expect(ingestParamsSchema.parse(PENGUINS_INGEST).split).toEqual({ strategy: 'hash', holdoutFraction: 0.2 });
    const first = await ingest(PENGUINS_INGEST);
    const again = await ingest(PENGUINS_INGEST);
    // 333 penguins have a sex and a body mass (of 344).
    expect(Number(first.summary.trainRows) + Number(first.summary.holdoutRows)).toBe(333);
    expect(first.artifacts.train.sha256).toBe(again.artifacts.train.sha256);
    expect(first.artifacts.holdout.sha256).toBe(again.artifacts.holdout.sha256);
    // A hash split holds out about the fraction asked for: 20% of 333 is 67, binomial sd ≈ 7.3.
    expect(Number(first.summary.holdoutRows)).toBeGreaterThan(67 - 3 * 7.3);
    expect(Number(first.summary.holdoutRows)).toBeLessThan(67 + 3 * 7.3);
    expect(first.summary).toMatchObject({ window: {}, holdoutFrom: null });
    expect(first.artifacts.train.meta?.timeColumn).toBeNull();

    const [cols] = await withDuckDb({}, async (conn) =>
      queryRows(conn, `SELECT string_agg(column_name, ',' ORDER BY column_name) AS names FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(await store.localPath(first.artifacts.train))}))`),
    );
    expect(cols.names).toBe('beak_depth,beak_length,body_mass,flipper_length,island,male,species');

    // The two sides hold different penguins: no row is in both.
    const [overlap] = await withDuckDb({}, async (conn) =>
      queryRows(
        conn,
        `SELECT count(*) AS n FROM (SELECT * FROM read_parquet(${sqlString(await store.localPath(first.artifacts.train))}) INTERSECT SELECT * FROM read_parquet(${sqlString(await store.localPath(first.artifacts.holdout))}))`,
      ),
    );
    expect(overlap.n).toBe(0);
  });

  it('validates the snapshot and notes that the time check is skipped', async () => {
    const out = await ingest(PENGUINS_INGEST);
    const req: StepRequest = { ctx: { workflowId: 'w', runId: 'r', stepId: 'validate', pipeline: 'p', model: 'penguin-sex', specDigest: 'd' }, params: {}, inputs: { ingest: { ...out, kind: 'ingest' } } };
    const validated = await validateSnapshots({ store, registry: { getAlias: async () => undefined }, duckdbThreads: 1 }, req, validateParamsSchema.parse({ minRows: 100 }));
    const report = await store.readJson<{ checks: Array<{ check: string; status: string; message: string }> }>(validated.artifacts['validation-report']);
    expect(report.checks.find((c) => c.message.startsWith('nullRate(time)'))).toMatchObject({
      status: 'skipped',
      message: expect.stringContaining('the source has no timeColumn: rows were split by a hash of each row'),
    });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it.each([
    ['a time split', { split: { strategy: 'time' } }, /steps\[0\]\.with\.split\.strategy: the time split needs a timeColumn/],
    ['a window', { window: { from: '2001-01-01' } }, /steps\[0\]\.with\.window: a time window needs a timeColumn/],
    ['a replay', { source: { ...PENGUINS_INGEST.source, replay: { now: '2001-01-01', window: '1 day' } } }, /steps\[0\]\.with\.source\.replay: a replay window needs a timeColumn/],
  ])('refuses %s without a timeColumn, naming the field', (_what, extra, message) => {
    const spec = { name: 'p', model: 'penguin-sex', steps: [{ id: 'ingest', kind: 'ingest', with: { ...PENGUINS_INGEST, ...extra } }] };
    expect(() => parsePipelineSpec(spec, {}, 'spec')).toThrow(message);
  });
});
