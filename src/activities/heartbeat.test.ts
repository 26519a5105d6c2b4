import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { withDuckDb } from '../data/duckdb';
import type { StepRequest } from '../pipeline/types';
import type { IngestSummary, ValidateSummary } from '../pipeline/step-summaries';
import type { RecordedStep } from '../step-records/step-records';
import { defineStep } from './step-activity';

const request: StepRequest = {
  ctx: { workflowId: 'wf', runId: 'run', stepId: 'ingest', pipeline: 'p', model: 'm' },
  params: {},
  inputs: {},
} as unknown as StepRequest;

function stepDeps() {
  const records = new Map<string, RecordedStep>();
  return {
    logger: pino({ level: 'silent' }),
    stepRecords: { get: async (k: string) => records.get(k), put: async (k: string, v: RecordedStep) => void records.set(k, v) },
    records,
  };
}

describe('long steps', () => {
  it('heartbeat while they run, naming the step', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const step = defineStep(stepDeps(), 'ingest', () => ({}), async () => ({ artifacts: {}, summary: { rows: 1 } as unknown as IngestSummary }), { heartbeat: true });
    const result = await env.run(step, request) as Awaited<ReturnType<typeof step>>;
    expect(result.summary).toEqual({ rows: 1 });
    expect(beats[0]).toMatchObject({ step: 'ingest', kind: 'ingest' });
  });

  it('give up at once when the workflow cancels them', async () => {
    const env = new MockActivityEnvironment();
    const deps = stepDeps();
    let release!: () => void;
    const step = defineStep(deps, 'validate', () => ({}), async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { artifacts: {}, summary: {} as ValidateSummary };
    }, { heartbeat: true });
    const running = env.run(step, request);
    setTimeout(() => env.cancel('CANCELLED'), 20);
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    release();
  });

  it('stop a DuckDB scan when cancelled', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 200);
    await expect(
      withDuckDb({ threads: 1, signal: abort.signal }, (conn) => conn.run('SELECT count(*) FROM range(10000000000) a WHERE a.range % 7 = 3')),
    ).rejects.toThrow(/interrupt/i);
    // The full scan takes minutes; an interrupted one returns right after the abort.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
